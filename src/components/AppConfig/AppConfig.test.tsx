import React from 'react';
import { of, throwError } from 'rxjs';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { PluginType } from '@grafana/data';
import { getBackendSrv } from '@grafana/runtime';
import AppConfig, { AppConfigProps } from './AppConfig';
import { testIds } from '../testIds';
import { reloadPage } from '../../utils/browser';

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: jest.fn(),
}));
jest.mock('../../utils/browser', () => ({ reloadPage: jest.fn() }));

const fetchMock = jest.fn();

function renderConfig(meta: Partial<AppConfigProps['plugin']['meta']> = {}) {
  const props = {
    plugin: {
      meta: {
        id: 'firebreak-incident-app',
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
  return render(<AppConfig {...props} />);
}

describe('Components/AppConfig', () => {
  beforeEach(() => {
    jest.resetAllMocks();
    fetchMock.mockReturnValue(of({ status: 200, data: {} }));
    (getBackendSrv as jest.Mock).mockReturnValue({ fetch: fetchMock });
  });

  test('renders the ClickHouse fields from the saved jsonData', () => {
    renderConfig({
      jsonData: { clickhouseAddress: 'clickhouse:9000', clickhouseDatabase: 'firebreak', clickhouseUser: 'firebreak' },
    });

    expect(screen.getByRole('group', { name: /clickhouse/i })).toBeInTheDocument();
    expect(screen.getByTestId(testIds.appConfig.clickhouseAddress)).toHaveValue('clickhouse:9000');
    expect(screen.getByTestId(testIds.appConfig.clickhouseDatabase)).toHaveValue('firebreak');
    expect(screen.getByTestId(testIds.appConfig.clickhouseUser)).toHaveValue('firebreak');
    expect(screen.getByTestId(testIds.appConfig.clickhousePassword)).toHaveValue('');
    expect(screen.getByRole('button', { name: /save settings/i })).toBeEnabled();
  });

  test('cannot be saved without an address', () => {
    renderConfig();

    expect(screen.getByRole('button', { name: /save settings/i })).toBeDisabled();
    fireEvent.submit(screen.getByTestId(testIds.appConfig.container));
    expect(fetchMock).not.toHaveBeenCalled();
  });

  test('saves jsonData and the new password, then reloads', async () => {
    renderConfig();

    fireEvent.change(screen.getByTestId(testIds.appConfig.clickhouseAddress), {
      target: { value: ' clickhouse:9000 ' },
    });
    fireEvent.change(screen.getByTestId(testIds.appConfig.clickhouseDatabase), { target: { value: 'firebreak' } });
    fireEvent.change(screen.getByTestId(testIds.appConfig.clickhouseUser), { target: { value: 'reader' } });
    fireEvent.change(screen.getByTestId(testIds.appConfig.clickhousePassword), { target: { value: 's3cret' } });
    fireEvent.click(screen.getByRole('button', { name: /save settings/i }));

    await waitFor(() => expect(reloadPage).toHaveBeenCalledTimes(1));
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(fetchMock).toHaveBeenCalledWith({
      url: '/api/plugins/firebreak-incident-app/settings',
      method: 'POST',
      data: {
        enabled: true,
        pinned: true,
        jsonData: { clickhouseAddress: 'clickhouse:9000', clickhouseDatabase: 'firebreak', clickhouseUser: 'reader' },
        secureJsonData: { clickhousePassword: 's3cret' },
      },
      showErrorAlert: false,
    });
  });

  test('leaves a stored password untouched', async () => {
    renderConfig({ jsonData: { clickhouseAddress: 'ch:9000' }, secureJsonFields: { clickhousePassword: true } });

    expect(screen.getByTestId(testIds.appConfig.clickhousePassword)).toBeDisabled();
    fireEvent.click(screen.getByRole('button', { name: /save settings/i }));

    await waitFor(() => expect(fetchMock).toHaveBeenCalledTimes(1));
    expect(fetchMock.mock.calls[0][0].data.secureJsonData).toBeUndefined();
  });

  test('shows an error and does not reload when saving fails', async () => {
    fetchMock.mockReturnValue(throwError(() => ({ status: 403, data: { message: 'Permission denied' } })));
    renderConfig({ jsonData: { clickhouseAddress: 'ch:9000' } });

    fireEvent.click(screen.getByRole('button', { name: /save settings/i }));

    expect(await screen.findByText('403: Permission denied')).toBeInTheDocument();
    expect(reloadPage).not.toHaveBeenCalled();
    expect(screen.getByRole('button', { name: /save settings/i })).toBeEnabled();
  });
});
