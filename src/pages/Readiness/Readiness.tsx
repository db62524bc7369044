import React, { useState } from 'react';
import { PluginPage } from '@grafana/runtime';
import { Badge, Button, Stack, Text } from '@grafana/ui';
import { api } from '../../api/client';
import type { ReadinessResult } from '../../api/types';
import { ApiErrorAlert } from '../../components/ApiErrorAlert/ApiErrorAlert';
import { formatTime } from '../../components/TimeAgo/TimeAgo';
import { testIds } from '../../components/testIds';
import { useAction } from '../../components/useAction';

// Readiness: call every kill switch's dry-run endpoint and show each answer, before an incident needs them.
function Readiness() {
  const [res, setRes] = useState<{ checked_at: string; results: ReadinessResult[] }>();
  const { run: runAction, busy, error } = useAction();
  const run = async () => {
    const r = await runAction(() => api.readiness());
    if (r) {
      setRes(r);
    }
  };
  return (
    <PluginPage subTitle="Do the kill switches work? Each action's dry-run endpoint is called once, signed, without retries.">
      <Stack direction="column" gap={2}>
        <div>
          <Button icon={busy ? 'spinner' : 'play'} onClick={run} disabled={busy}>
            Run the readiness check
          </Button>
        </div>
        {error && <ApiErrorAlert error={error} />}
        {res && (
          <table data-testid={testIds.readiness.table}>
            <caption>
              <Text color="secondary">Checked {formatTime(res.checked_at)}</Text>
            </caption>
            <thead>
              <tr>
                <th scope="col">AI system</th>
                <th scope="col">Action</th>
                <th scope="col">Ready</th>
                <th scope="col">Answer</th>
              </tr>
            </thead>
            <tbody>
              {res.results.map((r) => (
                <tr key={`${r.ai_system}/${r.action}`}>
                  <td>{r.ai_system}</td>
                  <td>{r.label}</td>
                  <td>
                    <Badge
                      color={r.ready ? 'green' : 'red'}
                      text={r.ready ? 'ready' : 'not ready'}
                      icon={r.ready ? 'check' : 'times'}
                    />
                  </td>
                  <td>
                    {r.http_status ? `HTTP ${r.http_status}` : ''} {r.latency_ms} ms {r.error ?? ''}
                  </td>
                </tr>
              ))}
              {res.results.length === 0 && (
                <tr>
                  <td colSpan={4}>No containment actions are configured.</td>
                </tr>
              )}
            </tbody>
          </table>
        )}
      </Stack>
    </PluginPage>
  );
}

export default Readiness;
