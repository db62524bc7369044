import React, { Suspense, lazy, useMemo } from 'react';
import { usePluginContext } from '@grafana/data';
import { Alert, LoadingPlaceholder, Stack, Text, TextLink } from '@grafana/ui';
import type { Alert as IncidentAlert, IncidentDetail } from '../../api/types';
import { TimeAgo } from '../../components/TimeAgo/TimeAgo';
import { testIds } from '../../components/testIds';
import { PLUGIN_ID } from '../../constants';
import type { AppSettings } from '../../types';
import { promExpr } from '../../utils/format';

// Scenes is most of the incident page's JavaScript: loaded only when a metric is shown.
export const LazyMetricPanel = lazy(() => import('./MetricPanel'));

export function MetricPanel(props: { expr: string; title: string; uid: string; detail: IncidentDetail }) {
  return (
    <Suspense fallback={<LoadingPlaceholder text="Loading the metric..." />}>
      <LazyMetricPanel {...props} />
    </Suspense>
  );
}

// One panel per distinct PromQL expression of the incident's alerts, with links to what Grafana-alerting alerts
// point at (dashboard, panel, image).
export function Metrics({ detail }: { detail: IncidentDetail }) {
  const ctx = usePluginContext();
  const uid = (ctx?.meta.jsonData as AppSettings | undefined)?.prometheus?.datasourceUid;
  const exprs = useMemo(() => {
    const seen = new Map<string, IncidentAlert>();
    for (const a of detail.alerts) {
      const e = promExpr(a.generator_url);
      if (e && !seen.has(e)) {
        seen.set(e, a);
      }
    }
    return [...seen.entries()];
  }, [detail.alerts]);

  return (
    <Stack direction="column" gap={2} data-testid={testIds.incident.metrics}>
      {!uid && exprs.length > 0 && (
        <Alert severity="info" title="Choose a Prometheus data source to see the triggering metrics">
          An admin picks it on the <TextLink href={`/plugins/${PLUGIN_ID}`}>configuration page</TextLink>.
        </Alert>
      )}
      {uid &&
        exprs.map(([expr, a]) => <MetricPanel key={expr} expr={expr} title={a.alertname} uid={uid} detail={detail} />)}
      {exprs.length === 0 && <Text color="secondary">No alert of this incident carries a Prometheus expression.</Text>}
      <AlertList alerts={detail.alerts} />
    </Stack>
  );
}

function AlertList({ alerts }: { alerts: IncidentAlert[] }) {
  if (alerts.length === 0) {
    return <Text color="secondary">No alerts: this incident was declared by hand.</Text>;
  }
  return (
    <table>
      <caption>
        <Text weight="medium">Alerts ({alerts.length})</Text>
      </caption>
      <thead>
        <tr>
          <th scope="col">Alert</th>
          <th scope="col">Status</th>
          <th scope="col">Started</th>
          <th scope="col">Links</th>
        </tr>
      </thead>
      <tbody>
        {alerts.map((a) => (
          <tr key={a.key}>
            <td>{a.alertname}</td>
            <td>{a.status}</td>
            <td>
              <TimeAgo at={a.starts_at} />
            </td>
            <td>
              <Stack gap={1}>
                {a.generator_url && (
                  <TextLink href={a.generator_url} external>
                    source
                  </TextLink>
                )}
                {a.annotations?.__dashboardUrl__ && (
                  <TextLink href={a.annotations.__dashboardUrl__}>dashboard</TextLink>
                )}
              </Stack>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
