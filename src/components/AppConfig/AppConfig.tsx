import React, { ChangeEvent, FormEvent, useState } from 'react';
import { AppPluginMeta, PluginConfigPageProps } from '@grafana/data';
import { Alert, Button, Field, FieldSet, Input, SecretInput, Stack } from '@grafana/ui';
import { errorMessage, savePluginSettings } from '../../api/backend';
import { AppSecureSettingKey, AppSettings } from '../../types';
import { reloadPage } from '../../utils/browser';
import { testIds } from '../testIds';

export interface AppConfigProps extends PluginConfigPageProps<AppPluginMeta<AppSettings>> {}

type State = {
  clickhouseAddress: string;
  clickhouseDatabase: string;
  clickhouseUser: string;
  // The new password typed in; never read back from Grafana.
  clickhousePassword: string;
  // Whether Grafana already stores a password (secureJsonFields).
  isPasswordSet: boolean;
};

const PASSWORD_KEY: AppSecureSettingKey = 'clickhousePassword';

// Placeholder settings form; validation and a connection test come with the
// real ClickHouse settings.
const AppConfig = ({ plugin }: AppConfigProps) => {
  const { enabled, pinned, jsonData, secureJsonFields } = plugin.meta;
  const [state, setState] = useState<State>({
    clickhouseAddress: jsonData?.clickhouseAddress ?? '',
    clickhouseDatabase: jsonData?.clickhouseDatabase ?? '',
    clickhouseUser: jsonData?.clickhouseUser ?? '',
    clickhousePassword: '',
    isPasswordSet: Boolean(secureJsonFields?.[PASSWORD_KEY]),
  });
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string>();

  const onChange = (event: ChangeEvent<HTMLInputElement>) => {
    const { name, value } = event.target;
    setState((s) => ({ ...s, [name]: value.trim() }));
  };

  const onResetPassword = () => setState((s) => ({ ...s, clickhousePassword: '', isPasswordSet: false }));

  const isSubmitDisabled = saving || !state.clickhouseAddress;

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (isSubmitDisabled) {
      return;
    }
    setSaving(true);
    setError(undefined);
    try {
      await savePluginSettings(plugin.meta.id, {
        enabled,
        pinned,
        jsonData: {
          clickhouseAddress: state.clickhouseAddress,
          clickhouseDatabase: state.clickhouseDatabase,
          clickhouseUser: state.clickhouseUser,
        },
        // Secrets cannot be read back; leave a stored password untouched unless it was reset.
        secureJsonData: state.isPasswordSet ? undefined : { [PASSWORD_KEY]: state.clickhousePassword },
      });
      // The plugin meta held by the frontend is only refreshed by a reload.
      reloadPage();
    } catch (e) {
      setError(errorMessage(e));
      setSaving(false);
    }
  };

  return (
    <form onSubmit={onSubmit} data-testid={testIds.appConfig.container}>
      <FieldSet label="ClickHouse">
        <Field label="Address" description="Native protocol address, host:port" required>
          <Input
            width={60}
            id="config-clickhouse-address"
            name="clickhouseAddress"
            data-testid={testIds.appConfig.clickhouseAddress}
            value={state.clickhouseAddress}
            placeholder="clickhouse:9000"
            onChange={onChange}
          />
        </Field>
        <Field label="Database">
          <Input
            width={60}
            id="config-clickhouse-database"
            name="clickhouseDatabase"
            data-testid={testIds.appConfig.clickhouseDatabase}
            value={state.clickhouseDatabase}
            placeholder="firebreak"
            onChange={onChange}
          />
        </Field>
        <Field label="User">
          <Input
            width={60}
            id="config-clickhouse-user"
            name="clickhouseUser"
            data-testid={testIds.appConfig.clickhouseUser}
            value={state.clickhouseUser}
            placeholder="default"
            onChange={onChange}
          />
        </Field>
        <Field label="Password">
          <SecretInput
            width={60}
            id="config-clickhouse-password"
            name="clickhousePassword"
            data-testid={testIds.appConfig.clickhousePassword}
            value={state.clickhousePassword}
            isConfigured={state.isPasswordSet}
            onChange={onChange}
            onReset={onResetPassword}
          />
        </Field>
        <Stack direction="column" gap={2}>
          {error && (
            <Alert severity="error" title="Could not save the settings">
              {error}
            </Alert>
          )}
          <div>
            <Button type="submit" data-testid={testIds.appConfig.submit} disabled={isSubmitDisabled}>
              Save settings
            </Button>
          </div>
        </Stack>
      </FieldSet>
    </form>
  );
};

export default AppConfig;
