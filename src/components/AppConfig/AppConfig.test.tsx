import React from 'react';
import { Observable, of, throwError } from 'rxjs';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { PluginType } from '@grafana/data';
import { BackendSrvRequest, DataSourceSrv, getBackendSrv, setDataSourceSrv } from '@grafana/runtime';
import AppConfig, { AppConfigProps } from './AppConfig';
import { testIds } from '../testIds';
import { AppSettings } from '../../types';
import { reloadPage } from '../../utils/browser';
import { SUPPORTBOT_FACTS } from './testdata';

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: jest.fn(),
}));
// The data-source picker lists Grafana's Prometheus data sources; none here.
setDataSourceSrv({ getList: () => [], getInstanceSettings: () => undefined } as unknown as DataSourceSrv);
jest.mock('../../utils/browser', () => ({ reloadPage: jest.fn() }));

const PLUGIN_ID = 'firebreak-incident-app';
const SETTINGS_URL = `/api/plugins/${PLUGIN_ID}/settings`;
const HEALTH_URL = `/api/plugins/${PLUGIN_ID}/health`;
const HEALTH_OK = {
  status: 'OK',
  message: 'ClickHouse ch:9000 reachable, schema version 1; receiver http://receiver:9095 reachable',
};

const fetchMock = jest.fn<Observable<unknown>, [BackendSrvRequest]>();
let saveResponse: () => Observable<unknown>;
let healthResponse: () => Observable<unknown>;

const ids = testIds.appConfig;

// Renders the page and waits for the health check it runs when opened.
async function renderConfig(meta: Partial<AppConfigProps['plugin']['meta']> = {}) {
  const props = {
    plugin: {
      meta: {
        id: PLUGIN_ID,
        name: 'Firebreak',
        type: PluginType.app,
        enabled: true,
        pinned: true,
        jsonData: {},
        ...meta,
      },
    },
    query: {},
  } as unknown as AppConfigProps;
  const view = render(<AppConfig {...props} />);
  await screen.findByTestId(ids.health);
  return view;
}

// Settings the backend accepts, with both secrets stored.
const validSettings: AppSettings = {
  clickhouse: { address: 'ch:9000', database: 'firebreak', user: 'reader', tls: false, tlsSkipVerify: false },
  receiver: { url: 'http://receiver:9095' },
  sla: { SEV1: { acknowledge: '10m', contain: '2h' } },
  escalation: { SEV1: [{ name: 'Dana', role: 'VP Engineering' }], SEV2: [], SEV3: [] },
};
const bothSecretsStored = { clickhousePassword: true, receiverApiToken: true };

const type = (testId: string, value: string) => fireEvent.change(screen.getByTestId(testId), { target: { value } });
const saveButton = () => screen.getByRole('button', { name: /save settings/i });
const saveCalls = () => fetchMock.mock.calls.map(([req]) => req).filter((req) => req.url === SETTINGS_URL);

describe('Components/AppConfig', () => {
  beforeEach(() => {
    jest.resetAllMocks();
    saveResponse = () => of({ status: 200, data: { message: 'Plugin settings updated' } });
    healthResponse = () => of({ status: 200, data: HEALTH_OK });
    fetchMock.mockImplementation((req) => (req.url === HEALTH_URL ? healthResponse() : saveResponse()));
    (getBackendSrv as jest.Mock).mockReturnValue({ fetch: fetchMock });
    window.sessionStorage.clear();
  });

  test('renders the defaults when nothing is saved', async () => {
    await renderConfig();

    for (const section of ['ClickHouse', 'Firebreak receiver', 'SLA targets', 'Escalation contacts']) {
      expect(screen.getByRole('group', { name: section })).toBeInTheDocument();
    }
    expect(screen.getByTestId(ids.clickhouseAddress)).toHaveValue('');
    expect(screen.getByTestId(ids.clickhouseDatabase)).toHaveValue('firebreak');
    expect(screen.getByTestId(ids.clickhouseUser)).toHaveValue('default');
    expect(screen.getByTestId(ids.clickhousePassword)).toHaveValue('');
    expect(screen.getByTestId(ids.clickhousePassword)).toBeEnabled();
    expect(screen.getByTestId(ids.clickhouseTls)).not.toBeChecked();
    expect(screen.getByTestId(ids.clickhouseTlsSkipVerify)).toBeDisabled();
    expect(screen.getByTestId(ids.receiverUrl)).toHaveValue('');
    expect(screen.getByTestId(ids.receiverApiToken)).toHaveValue('');
    // Empty SLA targets mean the defaults, shown as placeholders.
    const placeholders = {
      SEV1: ['15m', '4h'],
      SEV2: ['4h', '24h'],
      SEV3: ['72h', 'no target'],
    } as const;
    for (const [sev, [ack, contain]] of Object.entries(placeholders)) {
      const s = sev as keyof typeof placeholders;
      expect(screen.getByTestId(ids.sla(s, 'acknowledge'))).toHaveValue('');
      expect(screen.getByTestId(ids.sla(s, 'acknowledge'))).toHaveAttribute('placeholder', ack);
      expect(screen.getByTestId(ids.sla(s, 'contain'))).toHaveAttribute('placeholder', contain);
    }
    expect(screen.getAllByText('No contacts')).toHaveLength(3);

    // The required settings are named, and Save waits for them.
    const summary = screen.getByTestId(ids.validationSummary);
    expect(summary).toHaveTextContent('ClickHouse address: Required');
    expect(summary).toHaveTextContent('Receiver URL: Required');
    expect(summary).toHaveTextContent('Receiver API token: Required');
    expect(saveButton()).toBeDisabled();
    fireEvent.submit(screen.getByTestId(ids.container));
    expect(saveCalls()).toHaveLength(0);
  });

  test('renders the saved nested settings', async () => {
    await renderConfig({ jsonData: validSettings, secureJsonFields: bothSecretsStored });

    expect(screen.getByTestId(ids.clickhouseAddress)).toHaveValue('ch:9000');
    expect(screen.getByTestId(ids.clickhouseUser)).toHaveValue('reader');
    expect(screen.getByTestId(ids.receiverUrl)).toHaveValue('http://receiver:9095');
    expect(screen.getByTestId(ids.sla('SEV1', 'acknowledge'))).toHaveValue('10m');
    expect(screen.getByTestId(ids.sla('SEV1', 'contain'))).toHaveValue('2h');
    expect(screen.getByTestId(ids.sla('SEV2', 'acknowledge'))).toHaveValue('');
    expect(screen.getByTestId(ids.contactName('SEV1', 0))).toHaveValue('Dana');
    expect(screen.getByTestId(ids.contactRole('SEV1', 0))).toHaveValue('VP Engineering');
    expect(screen.queryByTestId(ids.validationSummary)).not.toBeInTheDocument();
    expect(saveButton()).toBeEnabled();
  });

  test('flags a bad duration and says which', async () => {
    await renderConfig({ jsonData: validSettings, secureJsonFields: bothSecretsStored });

    type(ids.sla('SEV2', 'contain'), '1 day');

    expect(screen.getByText('"1 day" is not a duration like 15m, 4h or 1h30m')).toBeInTheDocument();
    expect(screen.getByTestId(ids.validationSummary)).toHaveTextContent(
      'SEV2 contain target: "1 day" is not a duration like 15m, 4h or 1h30m'
    );
    expect(saveButton()).toBeDisabled();

    type(ids.sla('SEV2', 'contain'), '1h30m');
    expect(screen.queryByTestId(ids.validationSummary)).not.toBeInTheDocument();
    type(ids.sla('SEV2', 'contain'), '');
    expect(saveButton()).toBeEnabled();
  });

  test.each(['clickhouse', 'http://ch:9000', 'ch:port', 'ch:70000'])(
    'flags the address %p as not host:port',
    async (address) => {
      await renderConfig({ jsonData: validSettings, secureJsonFields: bothSecretsStored });

      type(ids.clickhouseAddress, address);

      expect(screen.getByTestId(ids.validationSummary)).toHaveTextContent(
        `ClickHouse address: "${address}" is not host:port, e.g. clickhouse:9000`
      );
      expect(saveButton()).toBeDisabled();
    }
  );

  test('accepts host:port addresses, including IPv6', async () => {
    await renderConfig({ jsonData: validSettings, secureJsonFields: bothSecretsStored });

    for (const address of ['clickhouse:9000', '10.0.0.5:9440', '[::1]:9000']) {
      type(ids.clickhouseAddress, address);
      expect(saveButton()).toBeEnabled();
    }
  });

  test('flags a receiver URL that is not http(s) and a contact without a name', async () => {
    await renderConfig({ jsonData: validSettings, secureJsonFields: bothSecretsStored });

    type(ids.receiverUrl, 'receiver:9095');
    fireEvent.click(screen.getByTestId(ids.contactAdd('SEV2')));
    type(ids.contactRole('SEV2', 0), 'On-call lead');

    const summary = screen.getByTestId(ids.validationSummary);
    expect(summary).toHaveTextContent('Receiver URL: "receiver:9095" is not an http(s) URL');
    expect(summary).toHaveTextContent('SEV2 escalation contact 1: Name is required');
    expect(saveButton()).toBeDisabled();
  });

  test('saves the nested jsonData, with the secrets only in secureJsonData, then reloads', async () => {
    await renderConfig();

    type(ids.clickhouseAddress, ' ch:9000 ');
    type(ids.clickhouseUser, 'reader');
    type(ids.clickhousePassword, 'ch-s3cret');
    fireEvent.click(screen.getByTestId(ids.clickhouseTls));
    fireEvent.click(screen.getByTestId(ids.clickhouseTlsSkipVerify));
    type(ids.receiverUrl, 'http://receiver:9095/');
    type(ids.receiverApiToken, 'api-t0ken');
    type(ids.sla('SEV1', 'acknowledge'), '10m');
    type(ids.sla('SEV3', 'contain'), '1h30m');
    fireEvent.click(screen.getByTestId(ids.contactAdd('SEV1')));
    type(ids.contactName('SEV1', 0), 'Dana');
    type(ids.contactRole('SEV1', 0), 'VP Engineering');
    fireEvent.click(screen.getByTestId(ids.contactAdd('SEV2')));
    type(ids.contactName('SEV2', 0), 'Sam');
    // A blank row is dropped rather than saved.
    fireEvent.click(screen.getByTestId(ids.contactAdd('SEV3')));
    fireEvent.click(saveButton());

    await waitFor(() => expect(reloadPage).toHaveBeenCalledTimes(1));
    expect(saveCalls()).toHaveLength(1);
    expect(saveCalls()[0]).toEqual({
      url: SETTINGS_URL,
      method: 'POST',
      showErrorAlert: false,
      data: {
        enabled: true,
        pinned: true,
        jsonData: {
          clickhouse: { address: 'ch:9000', database: 'firebreak', user: 'reader', tls: true, tlsSkipVerify: true },
          receiver: { url: 'http://receiver:9095' },
          sla: { SEV1: { acknowledge: '10m' }, SEV3: { contain: '1h30m' } },
          escalation: { SEV1: [{ name: 'Dana', role: 'VP Engineering' }], SEV2: [{ name: 'Sam', role: '' }], SEV3: [] },
        },
        secureJsonData: { clickhousePassword: 'ch-s3cret', receiverApiToken: 'api-t0ken' },
      },
    });
    const jsonText = JSON.stringify(saveCalls()[0].data.jsonData);
    expect(jsonText).not.toContain('ch-s3cret');
    expect(jsonText).not.toContain('api-t0ken');
    expect(jsonText).not.toMatch(/password|token/i);
  });

  test("keeps the containment catalog and settings it does not know, and saves the actions' secrets", async () => {
    const catalog = {
      supportbot: [
        {
          id: 'rollback',
          kind: 'rollback_model',
          label: 'Roll back the model',
          url: 'http://bot:9100/containment/rollback',
          requiresApproval: true,
        },
      ],
    };
    await renderConfig({
      jsonData: { ...validSettings, containment: catalog, futureSetting: { x: 1 } } as AppSettings,
      secureJsonFields: { ...bothSecretsStored, 'containment.supportbot.rollback.secret': true },
    });
    expect(JSON.parse((screen.getByTestId(ids.catalog) as HTMLTextAreaElement).value)).toEqual(catalog);
    const rollbackSecret = ids.containmentSecret('containment.supportbot.rollback.secret');
    expect(screen.getByTestId(rollbackSecret)).toBeDisabled(); // stored: shown as configured

    // A second action: its secret is required before saving.
    const withDisable = {
      supportbot: [
        ...catalog.supportbot,
        { id: 'disable', kind: 'disable_feature', label: 'Disable', url: 'http://bot:9100/containment/disable' },
      ],
    };
    type(ids.catalog, JSON.stringify(withDisable));
    expect(screen.getByTestId(ids.validationSummary)).toHaveTextContent(
      'Secret of supportbot/disable: Required: the HMAC key the endpoint checks'
    );
    expect(saveButton()).toBeDisabled();
    type(ids.containmentSecret('containment.supportbot.disable.secret'), ' hmac-k3y ');
    type(ids.prometheusUrl, 'http://prometheus:9090/');
    fireEvent.click(saveButton());

    await waitFor(() => expect(saveCalls()).toHaveLength(1));
    const data = saveCalls()[0].data;
    expect(data.jsonData).toEqual({
      ...validSettings,
      futureSetting: { x: 1 },
      prometheus: { url: 'http://prometheus:9090' },
      containment: withDisable,
    });
    expect(data.secureJsonData).toEqual({ 'containment.supportbot.disable.secret': 'hmac-k3y' });
    expect(JSON.stringify(data.jsonData)).not.toContain('hmac-k3y');
  });

  test.each([
    ['{', 'not valid JSON'],
    ['[]', 'must be a JSON object'],
    ['{"bot": {}}', 'bot: must be a list of actions'],
    ['{"bot": [{"id": "Bad Id", "kind": "custom", "label": "l", "url": "http://b"}]}', 'bot[0].id'],
    ['{"bot": [{"id": "a", "kind": "nuke", "label": "l", "url": "http://b"}]}', 'bot[0].kind'],
    ['{"bot": [{"id": "a", "kind": "custom", "label": "l", "url": "ftp://b"}]}', 'bot[0].url: not an http(s) URL'],
    ['{"bot": [{"id": "a", "kind": "custom", "label": "l", "url": "http://b", "dryRunUrl": "x"}]}', 'bot[0].dryRunUrl'],
  ])('flags the catalog %s', async (text, message) => {
    await renderConfig({ jsonData: validSettings, secureJsonFields: bothSecretsStored });
    type(ids.catalog, text);
    expect(screen.getByTestId(ids.validationSummary)).toHaveTextContent(`Containment catalog: ${message}`);
    expect(saveButton()).toBeDisabled();
  });

  test('after the reload, shows the health check of the saved settings under Save', async () => {
    await renderConfig({ jsonData: validSettings, secureJsonFields: bothSecretsStored });
    expect(screen.getByTestId(ids.health)).toHaveTextContent('Firebreak is working');
    expect(screen.getByTestId(ids.health)).not.toHaveTextContent('Settings saved');
    fireEvent.click(saveButton());
    await waitFor(() => expect(reloadPage).toHaveBeenCalledTimes(1));
    cleanup();

    // Grafana reloads with the saved meta.
    await renderConfig({ jsonData: validSettings, secureJsonFields: bothSecretsStored });

    const health = screen.getByTestId(ids.health);
    expect(health).toHaveTextContent('Settings saved. Firebreak is working');
    expect(health).toHaveTextContent(HEALTH_OK.message);
    expect(saveButton().compareDocumentPosition(health) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(fetchMock.mock.calls.filter(([req]) => req.method === 'GET' && req.url === HEALTH_URL)).toHaveLength(2);

    // Only once: opened again later, the page just shows the health.
    cleanup();
    await renderConfig({ jsonData: validSettings, secureJsonFields: bothSecretsStored });
    expect(screen.getByTestId(ids.health)).not.toHaveTextContent('Settings saved');
  });

  test('shows stored secrets as configured and does not send them again', async () => {
    await renderConfig({ jsonData: validSettings, secureJsonFields: bothSecretsStored });

    for (const id of [ids.clickhousePassword, ids.receiverApiToken]) {
      expect(screen.getByTestId(id)).toHaveValue('configured');
      expect(screen.getByTestId(id)).toBeDisabled();
    }
    fireEvent.click(saveButton());

    await waitFor(() => expect(reloadPage).toHaveBeenCalledTimes(1));
    expect(saveCalls()[0].data.secureJsonData).toBeUndefined();
  });

  test('sends a reset secret again, and only that one', async () => {
    await renderConfig({ jsonData: validSettings, secureJsonFields: bothSecretsStored });

    const clickhouse = screen.getByRole('group', { name: 'ClickHouse' });
    fireEvent.click(within(clickhouse).getByRole('button', { name: 'Reset' }));
    expect(screen.getByTestId(ids.clickhousePassword)).toBeEnabled();
    expect(screen.getByTestId(ids.clickhousePassword)).toHaveValue('');
    type(ids.clickhousePassword, 'n3w');
    fireEvent.click(saveButton());

    await waitFor(() => expect(reloadPage).toHaveBeenCalledTimes(1));
    expect(saveCalls()[0].data.secureJsonData).toEqual({ clickhousePassword: 'n3w' });
    expect(JSON.stringify(saveCalls()[0].data.jsonData)).not.toContain('n3w');
  });

  test('clears a reset password left empty', async () => {
    await renderConfig({ jsonData: validSettings, secureJsonFields: bothSecretsStored });

    const clickhouse = screen.getByRole('group', { name: 'ClickHouse' });
    fireEvent.click(within(clickhouse).getByRole('button', { name: 'Reset' }));
    fireEvent.click(saveButton());

    await waitFor(() => expect(reloadPage).toHaveBeenCalledTimes(1));
    expect(saveCalls()[0].data.secureJsonData).toEqual({ clickhousePassword: '' });
  });

  test('a reset API token is required again', async () => {
    await renderConfig({ jsonData: validSettings, secureJsonFields: bothSecretsStored });

    const receiver = screen.getByRole('group', { name: 'Firebreak receiver' });
    fireEvent.click(within(receiver).getByRole('button', { name: 'Reset' }));

    expect(screen.getByTestId(ids.validationSummary)).toHaveTextContent('Receiver API token: Required');
    expect(saveButton()).toBeDisabled();
  });

  test('shows a failed health check with the message naming the wrong setting', async () => {
    const message = 'Invalid settings: jsonData.clickhouse.address: "ch" is not host:port';
    healthResponse = () => throwError(() => ({ status: 503, data: { status: 'ERROR', message } }));
    window.sessionStorage.setItem('firebreak-incident-app.config-saved', PLUGIN_ID);

    await renderConfig({ jsonData: validSettings, secureJsonFields: bothSecretsStored });

    const health = screen.getByTestId(ids.health);
    expect(health).toHaveTextContent('Settings saved, but Firebreak is not working');
    expect(health).toHaveTextContent(message);
    expect(saveButton()).toBeEnabled();
  });

  test('shows a health check that could not run', async () => {
    healthResponse = () => throwError(() => ({ status: 500, data: { message: 'Plugin health check failed' } }));

    await renderConfig({ jsonData: validSettings, secureJsonFields: bothSecretsStored });

    expect(screen.getByTestId(ids.health)).toHaveTextContent('Firebreak is not working500: Plugin health check failed');
  });

  test('shows an error and does not reload when saving fails', async () => {
    saveResponse = () => throwError(() => ({ status: 403, data: { message: 'Permission denied' } }));
    await renderConfig({ jsonData: validSettings, secureJsonFields: bothSecretsStored });

    fireEvent.click(saveButton());

    expect(await screen.findByText('403: Permission denied')).toBeInTheDocument();
    expect(saveCalls()).toHaveLength(1);
    expect(reloadPage).not.toHaveBeenCalled();
    expect(saveButton()).toBeEnabled();
  });

  test('adds and removes escalation contacts', async () => {
    await renderConfig({ jsonData: validSettings, secureJsonFields: bothSecretsStored });

    fireEvent.click(screen.getByTestId(ids.contactAdd('SEV1')));
    type(ids.contactName('SEV1', 1), 'Lee');
    fireEvent.click(screen.getByTestId(ids.contactRemove('SEV1', 0)));
    expect(screen.getByTestId(ids.contactName('SEV1', 0))).toHaveValue('Lee');
    fireEvent.click(saveButton());

    await waitFor(() => expect(reloadPage).toHaveBeenCalledTimes(1));
    expect(saveCalls()[0].data.jsonData.escalation).toEqual({ SEV1: [{ name: 'Lee', role: '' }], SEV2: [], SEV3: [] });
  });

  describe('AI systems (regulatory reports)', () => {
    const facts = {
      supportbot: SUPPORTBOT_FACTS,
      codeassist: { provider: 'Acme GmbH' },
    };
    const withFacts = { jsonData: { ...validSettings, aiSystems: facts }, secureJsonFields: bothSecretsStored };

    // Picks a role: the Combobox's list draws the options that fit its measured height, and jsdom measures nothing.
    async function pickRole(name: string, option: string) {
      const sizes = [
        jest.spyOn(Element.prototype, 'clientHeight', 'get').mockReturnValue(300),
        jest.spyOn(Element.prototype, 'clientWidth', 'get').mockReturnValue(300),
      ];
      try {
        await userEvent.click(screen.getByRole('combobox', { name: name }));
        await userEvent.click(await screen.findByRole('option', { name: option }));
      } finally {
        sizes.forEach((s) => s.mockRestore());
      }
    }

    test('shows each system with inputs named after it, and what they are for', async () => {
      await renderConfig(withFacts);

      const section = screen.getByRole('group', { name: 'AI systems (regulatory reports)' });
      expect(section).toHaveTextContent('EU AI Act serious-incident report draft');
      expect(section).toHaveTextContent('Fields left blank are marked in the report for a person to fill');
      expect(screen.getByLabelText('AI system 1 ai_system')).toHaveValue('supportbot');
      expect(screen.getByLabelText('supportbot display name')).toHaveValue('Acme Support Assistant');
      expect(screen.getByLabelText('supportbot provider')).toHaveValue('Acme GmbH, Berlin');
      expect(screen.getByLabelText('supportbot EU database registration id')).toHaveValue('EU-AI-0000123');
      expect(screen.getByLabelText('supportbot market surveillance authority')).toHaveValue('Bundesnetzagentur');
      expect(screen.getByRole('combobox', { name: 'supportbot submitter role' })).toHaveValue('Provider');
      expect(screen.getByLabelText('supportbot contact')).toHaveValue(SUPPORTBOT_FACTS.contact);
      expect(screen.getByLabelText('AI system 2 ai_system')).toHaveValue('codeassist');
      expect(screen.getByLabelText('codeassist provider')).toHaveValue('Acme GmbH');
      expect(screen.getByRole('combobox', { name: 'codeassist submitter role' })).toHaveValue('');
      expect(screen.getByRole('button', { name: 'Remove codeassist' })).toBeInTheDocument();

      // Unchanged, it saves the same facts back.
      fireEvent.click(saveButton());
      await waitFor(() => expect(saveCalls()).toHaveLength(1));
      expect(saveCalls()[0].data.jsonData).toEqual({ ...validSettings, aiSystems: facts });
    });

    test('adds a system with its role, removes another, and drops a blank row', async () => {
      await renderConfig(withFacts);

      fireEvent.click(screen.getByTestId(ids.aiSystemRemove(1)));
      expect(screen.queryByLabelText('codeassist provider')).not.toBeInTheDocument();
      fireEvent.click(screen.getByTestId(ids.aiSystemAdd));
      type(ids.aiSystemField(1, 'system'), ' creditbot ');
      type(ids.aiSystemField(1, 'provider'), 'Acme Credit SA, Paris');
      type(ids.aiSystemField(1, 'registrationId'), 'EU-AI-0000456');
      await pickRole('creditbot submitter role', 'Authorised representative');
      expect(screen.getByRole('combobox', { name: 'creditbot submitter role' })).toHaveValue(
        'Authorised representative'
      );
      fireEvent.click(screen.getByTestId(ids.aiSystemAdd));
      fireEvent.click(saveButton());

      await waitFor(() => expect(saveCalls()).toHaveLength(1));
      expect(saveCalls()[0].data.jsonData.aiSystems).toEqual({
        supportbot: facts.supportbot,
        creditbot: {
          provider: 'Acme Credit SA, Paris',
          registrationId: 'EU-AI-0000456',
          submitterRole: 'authorised_representative',
        },
      });
    });

    test('refuses a provider too long next to it, and keeps what was typed', async () => {
      await renderConfig(withFacts);
      const long = 'p'.repeat(1001);

      type(ids.aiSystemField(0, 'provider'), long);

      const provider = screen.getByLabelText('supportbot provider');
      expect(provider).toHaveAccessibleDescription('Too long: 1001 characters, at most 1000');
      expect(provider).toHaveAttribute('aria-invalid', 'true');
      expect(screen.getByTestId(ids.validationSummary)).toHaveTextContent(
        'supportbot provider: Too long: 1001 characters, at most 1000'
      );
      expect(saveButton()).toBeDisabled();
      act(() => {
        fireEvent.submit(screen.getByTestId(ids.container));
      });
      expect(saveCalls()).toHaveLength(0);
      expect(provider).toHaveValue(long);
      expect(screen.getByLabelText('supportbot contact')).toHaveValue(SUPPORTBOT_FACTS.contact);

      type(ids.aiSystemField(0, 'provider'), long.slice(1));
      expect(provider).not.toHaveAccessibleDescription();
      expect(saveButton()).toBeEnabled();
    });

    test('names a system given twice and facts without a system, each at its field', async () => {
      await renderConfig(withFacts);

      type(ids.aiSystemField(1, 'system'), 'supportbot');
      fireEvent.click(screen.getByTestId(ids.aiSystemAdd));
      type(ids.aiSystemField(2, 'contact'), 'someone@acme.example');

      expect(screen.getByLabelText('AI system 2 ai_system')).toHaveAccessibleDescription(
        '"supportbot" is already AI system 1'
      );
      expect(screen.getByLabelText('AI system 3 ai_system')).toHaveAccessibleDescription(
        'Required: the ai_system label value of the incidents these facts are for'
      );
      expect(saveButton()).toBeDisabled();
    });

    test('saved fields the backend refuses are shown, and dropped on request', async () => {
      await renderConfig({
        jsonData: { ...validSettings, aiSystems: { supportbot: { provider: 'Acme', version: '2' } } } as AppSettings,
        secureJsonFields: bothSecretsStored,
      });

      expect(screen.getByTestId(ids.validationSummary)).toHaveTextContent(
        'supportbot: Saved fields the backend refuses: version. Drop them to save'
      );
      expect(saveButton()).toBeDisabled();
      fireEvent.click(screen.getByRole('button', { name: 'Drop unknown fields of supportbot' }));
      fireEvent.click(saveButton());

      await waitFor(() => expect(saveCalls()).toHaveLength(1));
      expect(saveCalls()[0].data.jsonData.aiSystems).toEqual({ supportbot: { provider: 'Acme' } });
    });
  });
});
