import React, { FormEvent, useEffect, useMemo, useState } from 'react';
import { AppPluginMeta, PluginConfigPageProps } from '@grafana/data';
import {
  Alert,
  Box,
  Button,
  Combobox,
  Field,
  FieldSet,
  Grid,
  IconButton,
  Input,
  SecretInput,
  Stack,
  Switch,
  Text,
  TextArea,
} from '@grafana/ui';
import { DataSourcePicker } from '@grafana/runtime';
import { errorMessage, savePluginSettings } from '../../api/backend';
import { AppSecureSettingKey, AppSettings, SEVERITIES, Severity, SUBMITTER_ROLES, SubmitterRole } from '../../types';
import { reloadPage } from '../../utils/browser';
import { testIds } from '../testIds';
import { checkHealth, HealthResult, forgetSaved, rememberSaved, wasSaved } from './health';
import {
  AI_SYSTEM_FIELDS,
  AI_SYSTEM_INPUT_NAMES,
  AISystemField,
  AISystemRow,
  aiSystemName,
  ContactRow,
  containmentSecret,
  DEFAULT_DATABASE,
  DEFAULT_SLA,
  DEFAULT_USER,
  fieldKey,
  FormState,
  newAISystemRow,
  newContactRow,
  parseCatalog,
  patchRow,
  removeRow,
  Row,
  SLA_FIELDS,
  SLAField,
  toFormState,
  toJsonData,
  toSecureJsonData,
  validate,
} from './settings';

export interface AppConfigProps extends PluginConfigPageProps<AppPluginMeta<AppSettings>> {}

const WIDTH = 60;

const SLA_LABELS: Record<SLAField, string> = { acknowledge: 'acknowledge within', contain: 'contain within' };

const AI_SYSTEM_LABELS: Record<AISystemField, { label: string; placeholder: string }> = {
  name: { label: 'Display name', placeholder: 'As registered, e.g. Acme Support Assistant' },
  provider: { label: 'Provider', placeholder: 'Name and address' },
  registrationId: { label: 'EU database registration id', placeholder: 'e.g. EU-AI-0000123' },
  authority: { label: 'Market surveillance authority', placeholder: 'Where reports go' },
  submitterRole: { label: 'Submitter role', placeholder: 'None: to fill in the report' },
  contact: { label: 'Contact', placeholder: 'Name, email, phone' },
};

const ROLE_OPTIONS: Array<{ value: SubmitterRole; label: string }> = SUBMITTER_ROLES.map((value) => ({
  value,
  label: value === 'authorised_representative' ? 'Authorised representative' : value[0].toUpperCase() + value.slice(1),
}));

// A list of rows the page edits (escalation contacts, AI systems): each row, or a line saying there is none, then
// a button adding one.
function RowList<T extends object>(props: {
  rows: Array<Row<T>>;
  none: string;
  add: string;
  addTestId: string;
  onAdd: () => void;
  children: (row: Row<T>, index: number) => React.ReactNode;
}) {
  return (
    <>
      {props.rows.length === 0 && (
        <Text color="secondary" italic>
          {props.none}
        </Text>
      )}
      {props.rows.map((row, index) => (
        <React.Fragment key={row.key}>{props.children(row, index)}</React.Fragment>
      ))}
      <div>
        <Button variant="secondary" size="sm" icon="plus" data-testid={props.addTestId} onClick={props.onAdd}>
          {props.add}
        </Button>
      </div>
    </>
  );
}

const RemoveRow = ({ label, testId, onClick }: { label: string; testId: string; onClick: () => void }) => (
  // The tooltip is also its accessible name (IconButton's aria-label gives way to it).
  <IconButton name="trash-alt" tooltip={label} data-testid={testId} onClick={onClick} />
);

// The app's settings: where ClickHouse and the Firebreak receiver are, SLA targets and escalation contacts per
// severity, the AI systems' facts for regulatory reports, containment. Saving stores them in Grafana (which restarts the backend instance with them) and reloads the page;
// under the Save button the page shows the backend's health check, which names the setting that is wrong.
const AppConfig = ({ plugin }: AppConfigProps) => {
  const { id, enabled, pinned, jsonData, secureJsonFields } = plugin.meta;
  const [form, setForm] = useState<FormState>(() => toFormState(jsonData, secureJsonFields));
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string>();
  const [health, setHealth] = useState<HealthResult>();
  // Whether this page was reloaded by a save: the health check then reports on the saved settings.
  const [justSaved] = useState(() => wasSaved(id));

  useEffect(() => {
    forgetSaved();
    let current = true;
    checkHealth(id).then((result) => current && setHealth(result));
    return () => {
      current = false;
    };
  }, [id]);

  const errors = useMemo(() => validate(form), [form]);
  const catalogActions = useMemo(() => parseCatalog(form.catalog).actions, [form.catalog]);
  const errorOf = (field: string) => errors.find((e) => e.field === field)?.message;
  const fieldProps = (field: string) => {
    const error = errorOf(field);
    return { invalid: Boolean(error), error };
  };

  const update = (patch: Partial<FormState>) => setForm((f) => ({ ...f, ...patch }));
  const text = (key: 'address' | 'database' | 'user' | 'receiverUrl') => (event: React.ChangeEvent<HTMLInputElement>) =>
    update({ [key]: event.currentTarget.value });

  const setSecret = (key: AppSecureSettingKey, value: string) =>
    setForm((f) => ({ ...f, secrets: { ...f.secrets, [key]: { ...f.secrets[key], value } } }));
  const resetSecret = (key: AppSecureSettingKey) =>
    setForm((f) => ({ ...f, secrets: { ...f.secrets, [key]: { ...f.secrets[key], value: '', configured: false } } }));

  const setContainmentSecret = (key: string, patch: { value: string; configured?: boolean }) =>
    setForm((f) => ({
      ...f,
      containmentSecrets: { ...f.containmentSecrets, [key]: { ...containmentSecret(f, key), ...patch } },
    }));

  const setSLA = (sev: Severity, field: SLAField, value: string) =>
    setForm((f) => ({ ...f, sla: { ...f.sla, [sev]: { ...f.sla[sev], [field]: value } } }));

  const setContacts = (sev: Severity, change: (rows: ContactRow[]) => ContactRow[]) =>
    setForm((f) => ({ ...f, escalation: { ...f.escalation, [sev]: change(f.escalation[sev]) } }));
  const setContact = (sev: Severity, key: number, patch: Partial<ContactRow>) =>
    setContacts(sev, (rows) => patchRow(rows, key, patch));

  const setAISystems = (change: (rows: AISystemRow[]) => AISystemRow[]) =>
    setForm((f) => ({ ...f, aiSystems: change(f.aiSystems) }));
  const setAISystem = (key: number, patch: Partial<AISystemRow>) => setAISystems((rows) => patchRow(rows, key, patch));

  const isSubmitDisabled = saving || errors.length > 0;

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (isSubmitDisabled) {
      return;
    }
    setSaving(true);
    setSaveError(undefined);
    const newJsonData = toJsonData(form);
    const secureJsonData = toSecureJsonData(form);
    try {
      await savePluginSettings(id, { enabled, pinned, jsonData: newJsonData, secureJsonData });
    } catch (e) {
      setSaveError(errorMessage(e));
      setSaving(false);
      return;
    }
    // Grafana keeps the plugin meta (jsonData, secureJsonFields) it loaded until the page is reloaded. The health
    // check runs again once reloaded, and says that this save is what it checks.
    rememberSaved(id);
    reloadPage();
  };

  const secretInput = (key: AppSecureSettingKey, testId: string) => (
    <SecretInput
      width={WIDTH}
      id={`config-${key}`}
      data-testid={testId}
      value={form.secrets[key].value}
      isConfigured={form.secrets[key].configured}
      onChange={(event) => setSecret(key, event.currentTarget.value)}
      onReset={() => resetSecret(key)}
    />
  );

  return (
    <form onSubmit={onSubmit} data-testid={testIds.appConfig.container}>
      <FieldSet label="ClickHouse">
        <Field
          label="Address"
          description="host:port of ClickHouse's native protocol, e.g. clickhouse:9000"
          required
          {...fieldProps(fieldKey.address)}
        >
          <Input
            width={WIDTH}
            id="config-clickhouse-address"
            data-testid={testIds.appConfig.clickhouseAddress}
            value={form.address}
            placeholder="clickhouse:9000"
            onChange={text('address')}
          />
        </Field>
        <Field label="Database" description={`Default ${DEFAULT_DATABASE}`} {...fieldProps(fieldKey.database)}>
          <Input
            width={WIDTH}
            id="config-clickhouse-database"
            data-testid={testIds.appConfig.clickhouseDatabase}
            value={form.database}
            placeholder={DEFAULT_DATABASE}
            onChange={text('database')}
          />
        </Field>
        <Field label="User" description={`Default ${DEFAULT_USER}`}>
          <Input
            width={WIDTH}
            id="config-clickhouse-user"
            data-testid={testIds.appConfig.clickhouseUser}
            value={form.user}
            placeholder={DEFAULT_USER}
            onChange={text('user')}
          />
        </Field>
        <Field label="Password">{secretInput('clickhousePassword', testIds.appConfig.clickhousePassword)}</Field>
        <Field label="TLS" description="Connect to ClickHouse over TLS (usually port 9440)">
          <Switch
            id="config-clickhouse-tls"
            data-testid={testIds.appConfig.clickhouseTls}
            value={form.tls}
            onChange={(event) => update({ tls: event.currentTarget.checked })}
          />
        </Field>
        <Field
          label="Skip TLS certificate verification"
          description="Accept any certificate; for testing only"
          disabled={!form.tls}
        >
          <Switch
            id="config-clickhouse-tls-skip-verify"
            data-testid={testIds.appConfig.clickhouseTlsSkipVerify}
            value={form.tls && form.tlsSkipVerify}
            onChange={(event) => update({ tlsSkipVerify: event.currentTarget.checked })}
          />
        </Field>
      </FieldSet>

      <FieldSet label="Firebreak receiver">
        <Field
          label="URL"
          description="The receiver writes every change, so that alerts and people's changes append to one timeline"
          required
          {...fieldProps(fieldKey.receiverUrl)}
        >
          <Input
            width={WIDTH}
            id="config-receiver-url"
            data-testid={testIds.appConfig.receiverUrl}
            value={form.receiverUrl}
            placeholder="http://receiver:9095"
            onChange={text('receiverUrl')}
          />
        </Field>
        <Field
          label="API token"
          description="The content of the receiver's --api-token-file (or its FIREBREAK_API_TOKEN)"
          required
          {...fieldProps(fieldKey.receiverApiToken)}
        >
          {secretInput('receiverApiToken', testIds.appConfig.receiverApiToken)}
        </Field>
      </FieldSet>

      <FieldSet label="SLA targets">
        <Text color="secondary" element="p">
          Durations such as 15m, 4h or 1h30m. Leave a target empty for the default shown. Escalations through
          Alertmanager follow the receiver&apos;s targets: give it the same ones in its --sla-file (Save &amp; test says
          where they differ).
        </Text>
        {SEVERITIES.map((sev) => (
          <Stack key={sev} direction="row" gap={2}>
            {SLA_FIELDS.map((field) => (
              <Field key={field} label={`${sev} ${SLA_LABELS[field]}`} {...fieldProps(fieldKey.sla(sev, field))}>
                <Input
                  width={25}
                  id={`config-sla-${sev}-${field}`}
                  data-testid={testIds.appConfig.sla(sev, field)}
                  value={form.sla[sev][field]}
                  placeholder={DEFAULT_SLA[sev][field] || 'no target'}
                  onChange={(event) => setSLA(sev, field, event.currentTarget.value)}
                />
              </Field>
            ))}
          </Stack>
        ))}
      </FieldSet>

      <FieldSet label="Escalation contacts">
        <Text color="secondary" element="p">
          Who to escalate to, shown on incidents of each severity. Alertmanager pages them through its
          escalation-sev1..3 receivers (see the README).
        </Text>
        {SEVERITIES.map((sev) => (
          <Stack key={sev} direction="column" gap={1}>
            <Text element="h5">{sev}</Text>
            <RowList
              rows={form.escalation[sev]}
              none="No contacts"
              add={`Add ${sev} contact`}
              addTestId={testIds.appConfig.contactAdd(sev)}
              onAdd={() => setContacts(sev, (rows) => [...rows, newContactRow()])}
            >
              {(row, index) => (
                <Stack direction="row" gap={1} alignItems="flex-start">
                  <Field noMargin {...fieldProps(fieldKey.contactName(sev, index))}>
                    <Input
                      width={30}
                      aria-label={`${sev} contact ${index + 1} name`}
                      data-testid={testIds.appConfig.contactName(sev, index)}
                      value={row.name}
                      placeholder="Name"
                      onChange={(event) => setContact(sev, row.key, { name: event.currentTarget.value })}
                    />
                  </Field>
                  <Field noMargin>
                    <Input
                      width={30}
                      aria-label={`${sev} contact ${index + 1} role`}
                      data-testid={testIds.appConfig.contactRole(sev, index)}
                      value={row.role}
                      placeholder="Role, e.g. VP Engineering"
                      onChange={(event) => setContact(sev, row.key, { role: event.currentTarget.value })}
                    />
                  </Field>
                  <RemoveRow
                    label={`Remove ${sev} contact ${index + 1}`}
                    testId={testIds.appConfig.contactRemove(sev, index)}
                    onClick={() => setContacts(sev, (rows) => removeRow(rows, row.key))}
                  />
                </Stack>
              )}
            </RowList>
          </Stack>
        ))}
      </FieldSet>

      <FieldSet label="AI systems (regulatory reports)">
        <Text color="secondary" element="p">
          The facts the EU AI Act serious-incident report draft cites for each AI system, by the incidents&apos;
          ai_system label value. Fields left blank are marked in the report for a person to fill.
        </Text>
        <Stack direction="column" gap={2}>
          <RowList
            rows={form.aiSystems}
            none="No AI systems"
            add="Add AI system"
            addTestId={testIds.appConfig.aiSystemAdd}
            onAdd={() => setAISystems((rows) => [...rows, newAISystemRow()])}
          >
            {(row, index) => {
              const name = aiSystemName(row, index);
              const input = (field: Exclude<AISystemField, 'submitterRole'>) => (
                <Field
                  key={field}
                  label={AI_SYSTEM_LABELS[field].label}
                  {...fieldProps(fieldKey.aiSystem(index, field))}
                >
                  <Input
                    id={`config-ai-system-${row.key}-${field}`}
                    aria-label={`${name} ${AI_SYSTEM_INPUT_NAMES[field]}`}
                    data-testid={testIds.appConfig.aiSystemField(index, field)}
                    value={row[field]}
                    placeholder={AI_SYSTEM_LABELS[field].placeholder}
                    onChange={(event) => setAISystem(row.key, { [field]: event.currentTarget.value })}
                  />
                </Field>
              );
              const roleNameId = `config-ai-system-${row.key}-submitterRole-name`;
              const role = (
                <React.Fragment key="submitterRole">
                  {/* Combobox takes no aria-label: its name, after the system, is this hidden text. */}
                  <span hidden id={roleNameId}>
                    {`${name} ${AI_SYSTEM_INPUT_NAMES.submitterRole}`}
                  </span>
                  <Field
                    label={AI_SYSTEM_LABELS.submitterRole.label}
                    {...fieldProps(fieldKey.aiSystem(index, 'submitterRole'))}
                  >
                    <Combobox<string>
                      id={`config-ai-system-${row.key}-submitterRole`}
                      aria-labelledby={roleNameId}
                      data-testid={testIds.appConfig.aiSystemField(index, 'submitterRole')}
                      options={ROLE_OPTIONS}
                      value={row.submitterRole || null}
                      placeholder={AI_SYSTEM_LABELS.submitterRole.placeholder}
                      isClearable
                      onChange={(option) => setAISystem(row.key, { submitterRole: option?.value ?? '' })}
                    />
                  </Field>
                </React.Fragment>
              );
              return (
                <Box
                  borderStyle="solid"
                  borderColor="weak"
                  borderRadius="default"
                  padding={2}
                  data-testid={testIds.appConfig.aiSystem(index)}
                >
                  <Stack direction="row" justifyContent="space-between" alignItems="flex-start">
                    <Field
                      label="AI system (ai_system label value)"
                      required
                      {...fieldProps(fieldKey.aiSystem(index, 'system'))}
                    >
                      <Input
                        width={40}
                        id={`config-ai-system-${row.key}-system`}
                        aria-label={`AI system ${index + 1} ai_system`}
                        data-testid={testIds.appConfig.aiSystemField(index, 'system')}
                        value={row.system}
                        placeholder="Its ai_system label value, e.g. supportbot"
                        onChange={(event) => setAISystem(row.key, { system: event.currentTarget.value })}
                      />
                    </Field>
                    <RemoveRow
                      label={`Remove ${name}`}
                      testId={testIds.appConfig.aiSystemRemove(index)}
                      onClick={() => setAISystems((rows) => removeRow(rows, row.key))}
                    />
                  </Stack>
                  <Grid columns={3} columnGap={2}>
                    {AI_SYSTEM_FIELDS.map((field) => (field === 'submitterRole' ? role : input(field)))}
                  </Grid>
                  {row.unknown.length > 0 && (
                    <Field noMargin {...fieldProps(fieldKey.aiSystem(index, 'unknown'))}>
                      {/* In a fragment: Field passes invalid to its child, which a Button would put in the DOM. */}
                      <>
                        <Button
                          variant="secondary"
                          size="sm"
                          onClick={() => setAISystem(row.key, { unknown: [] })}
                          aria-label={`Drop unknown fields of ${name}`}
                        >
                          Drop unknown fields
                        </Button>
                      </>
                    </Field>
                  )}
                </Box>
              );
            }}
          </RowList>
        </Stack>
      </FieldSet>

      <FieldSet label="Metrics and evidence">
        <Field
          label="Prometheus data source"
          description="The incident page and the review draw each alert's expression with this data source (optional)"
        >
          <DataSourcePicker
            width={WIDTH}
            type="prometheus"
            noDefault
            current={form.prometheusDatasourceUid || null}
            onChange={(ds) => update({ prometheusDatasourceUid: ds.uid })}
            onClear={() => update({ prometheusDatasourceUid: '' })}
            inputId="config-prometheus-datasource"
          />
        </Field>
        <Field
          label="Prometheus URL"
          description="Evidence snapshots evaluate each alert's expression here before a containment action runs (optional)"
          {...fieldProps(fieldKey.prometheusUrl)}
        >
          <Input
            width={WIDTH}
            id="config-prometheus-url"
            data-testid={testIds.appConfig.prometheusUrl}
            value={form.prometheusUrl}
            placeholder="http://prometheus:9090"
            onChange={(event) => update({ prometheusUrl: event.currentTarget.value })}
          />
        </Field>
      </FieldSet>

      <FieldSet label="Containment actions">
        <Text color="secondary" element="p">
          Per AI system (the incidents&apos; ai_system), the kill switches and rollbacks responders may run, as JSON:{' '}
          {'{"supportbot": [{"id": "rollback", "kind": "rollback_model", "label": "...", "url": "...", ' +
            '"dryRunUrl": "...", "statusUrl": "...", "requiresApproval": true}]}'}
          . See the README for every field. Each action needs its HMAC secret below.
        </Text>
        <Field label="Catalog" {...fieldProps(fieldKey.catalog)}>
          <TextArea
            id="config-containment-catalog"
            data-testid={testIds.appConfig.catalog}
            rows={12}
            style={{ fontFamily: 'monospace' }}
            value={form.catalog}
            placeholder="{}"
            onChange={(event) => update({ catalog: event.currentTarget.value })}
          />
        </Field>
        {catalogActions.map(({ system, action, secretKey }) => {
          const secret = containmentSecret(form, secretKey);
          return (
            <Field
              key={secretKey}
              label={`Secret of ${system} / ${action.id}`}
              description={action.label}
              required
              {...fieldProps(fieldKey.containmentSecret(secretKey))}
            >
              <SecretInput
                width={WIDTH}
                id={`config-${secretKey}`}
                data-testid={testIds.appConfig.containmentSecret(secretKey)}
                value={secret.value}
                isConfigured={secret.configured}
                onChange={(event) => setContainmentSecret(secretKey, { value: event.currentTarget.value })}
                onReset={() => setContainmentSecret(secretKey, { value: '', configured: false })}
              />
            </Field>
          );
        })}
      </FieldSet>

      <Stack direction="column" gap={2}>
        {errors.length > 0 && (
          <Alert
            severity="warning"
            title="Fix these settings to save"
            data-testid={testIds.appConfig.validationSummary}
          >
            <ul>
              {errors.map((e) => (
                <li key={e.field}>
                  {e.label}: {e.message}
                </li>
              ))}
            </ul>
          </Alert>
        )}
        {saveError && (
          <Alert severity="error" title="Could not save the settings" data-testid={testIds.appConfig.saveError}>
            {saveError}
          </Alert>
        )}
        <div>
          <Button type="submit" data-testid={testIds.appConfig.submit} disabled={isSubmitDisabled}>
            {saving ? 'Saving...' : 'Save settings'}
          </Button>
        </div>
        {health ? (
          <Alert
            severity={health.status === 'OK' ? 'success' : 'error'}
            title={healthTitle(health, justSaved)}
            data-testid={testIds.appConfig.health}
          >
            {health.message}
          </Alert>
        ) : (
          <Text color="secondary" italic>
            Checking Firebreak&apos;s connections...
          </Text>
        )}
      </Stack>
    </form>
  );
};

function healthTitle(health: HealthResult, justSaved: boolean): string {
  if (health.status === 'OK') {
    return justSaved ? 'Settings saved. Firebreak is working' : 'Firebreak is working';
  }
  return justSaved ? 'Settings saved, but Firebreak is not working' : 'Firebreak is not working';
}

export default AppConfig;
