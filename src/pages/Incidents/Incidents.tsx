import React, { useEffect, useState } from 'react';
import { PluginPage } from '@grafana/runtime';
import { Alert, LoadingPlaceholder, Stack, Text } from '@grafana/ui';
import { errorMessage, ping } from '../../api/backend';
import { testIds } from '../../components/testIds';

type BackendState = { status: 'loading' } | { status: 'ok'; message: string } | { status: 'error'; error: string };

function Incidents() {
  const [backend, setBackend] = useState<BackendState>({ status: 'loading' });

  useEffect(() => {
    let cancelled = false;
    ping()
      .then((res) => !cancelled && setBackend({ status: 'ok', message: res.message }))
      .catch((err: unknown) => !cancelled && setBackend({ status: 'error', error: errorMessage(err) }));
    return () => {
      cancelled = true;
    };
  }, []);

  return (
    <PluginPage>
      <div data-testid={testIds.incidents.container}>
        <Stack direction="column" gap={2}>
          <Text element="p" color="secondary">
            Incidents opened from alerts will be listed here.
          </Text>
          <div data-testid={testIds.incidents.backendStatus}>
            {backend.status === 'loading' && <LoadingPlaceholder text="Contacting the Firebreak backend..." />}
            {backend.status === 'ok' && (
              <Text element="p">
                Backend: <Text weight="bold">{backend.message}</Text>
              </Text>
            )}
            {backend.status === 'error' && (
              <Alert severity="error" title="The Firebreak backend did not answer">
                {backend.error}
              </Alert>
            )}
          </div>
        </Stack>
      </div>
    </PluginPage>
  );
}

export default Incidents;
