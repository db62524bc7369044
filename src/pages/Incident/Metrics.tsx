import React, { Suspense, lazy, useEffect, useMemo, useState } from 'react';
import { usePluginContext } from '@grafana/data';
import { Alert, Badge, Button, LoadingPlaceholder, Stack, Text, TextLink } from '@grafana/ui';
import { api } from '../../api/client';
import type { Alert as IncidentAlert, IncidentDetail, TimelineEvent } from '../../api/types';
import { ApiErrorAlert } from '../../components/ApiErrorAlert/ApiErrorAlert';
import { TimeAgo } from '../../components/TimeAgo/TimeAgo';
import { testIds } from '../../components/testIds';
import { PLUGIN_ID } from '../../constants';
import type { AppSettings } from '../../types';
import { promExpr } from '../../utils/format';
import { keyMoments, Moment } from './moments';
import { usePaged } from './usePaged';

// Scenes is most of the incident page's JavaScript: loaded only when a metric is shown.
const LazyMetricPanel = lazy(() => import('./MetricPanel'));

const MOMENT_PAGES = 10;

// useMoments returns the incident's key moments: from the detail's timeline when it holds every event, else from the
// people's, containment and Firebreak's events (alerts left out), read a page at a time.
// Nothing is read while no panel shows (enabled false).
export function useMoments(detail: IncidentDetail, enabled = true): Moment[] {
  const complete = detail.timeline_next_cursor === '';
  const [fetched, setFetched] = useState<{ key: string; events: TimelineEvent[] }>();
  const key = `${detail.incident.incident_id}/${detail.incident.last_seq}`;
  useEffect(() => {
    if (complete || !enabled) {
      return;
    }
    let current = true;
    (async () => {
      const events: TimelineEvent[] = [];
      let cursor = '';
      for (let i = 0; i < MOMENT_PAGES; i++) {
        const p = await api.timelinePage(
          detail.incident.incident_id,
          cursor,
          ['people', 'containment', 'system'],
          5000
        );
        events.push(...p.timeline);
        cursor = p.next_cursor;
        if (!cursor) {
          break;
        }
      }
      if (current) {
        setFetched({ key, events });
      }
    })().catch(() => current && setFetched({ key, events: [] }));
    return () => {
      current = false;
    };
  }, [complete, enabled, key, detail.incident.incident_id]);
  return useMemo(
    () => keyMoments(complete ? detail.timeline : fetched?.key === key ? fetched.events : []),
    [complete, detail.timeline, fetched, key]
  );
}

// MetricPanel is the scenes panel of one expression, loaded with its chunk; moments come from the page (useMoments),
// read once however many panels it shows.
export function MetricPanel(props: {
  expr: string;
  title: string;
  uid: string;
  detail: IncidentDetail;
  moments: Moment[];
}) {
  return (
    <Suspense fallback={<LoadingPlaceholder text="Loading the metric..." />}>
      <LazyMetricPanel {...props} />
    </Suspense>
  );
}

// One panel per distinct PromQL expression of the incident's alerts; the alerts, summarized and paged, with links
// to what Grafana-alerting alerts point at (dashboard, panel, image).
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
  const moments = useMoments(detail, !!uid && exprs.length > 0);

  return (
    <Stack direction="column" gap={2} data-testid={testIds.incident.metrics}>
      {!uid && exprs.length > 0 && (
        <Alert severity="info" title="Choose a Prometheus data source to see the triggering metrics">
          An admin picks it on the <TextLink href={`/plugins/${PLUGIN_ID}`}>configuration page</TextLink>.
        </Alert>
      )}
      {uid &&
        exprs.map(([expr, a]) => (
          <MetricPanel key={expr} expr={expr} title={a.alertname} uid={uid} detail={detail} moments={moments} />
        ))}
      {exprs.length === 0 && <Text color="secondary">No alert of this incident carries a Prometheus expression.</Text>}
      <AlertSummaryView detail={detail} />
      <AlertList detail={detail} />
    </Stack>
  );
}

function AlertSummaryView({ detail }: { detail: IncidentDetail }) {
  const s = detail.alert_summary;
  if (detail.alerts_total === 0) {
    return null;
  }
  return (
    <Stack direction="column" gap={1}>
      <Stack gap={1} alignItems="center">
        <Text weight="medium">
          {detail.alerts_total} {detail.alerts_total === 1 ? 'alert' : 'alerts'}:
        </Text>
        <Badge color="red" text={`${s.by_status.firing ?? 0} firing`} />
        <Badge color="green" text={`${s.by_status.resolved ?? 0} resolved`} />
      </Stack>
      {s.labels.map((l) => (
        <Text key={l.name} variant="bodySmall">
          <strong>{l.name}</strong> ({l.distinct} values): {l.values.map((v) => `${v.value} ×${v.count}`).join(', ')}
          {l.other ? `, others ×${l.other}` : ''}
          {l.missing ? `, without it ×${l.missing}` : ''}
        </Text>
      ))}
    </Stack>
  );
}

const httpLink = (u?: string) => (u && /^https?:\/\//i.test(u) ? u : undefined);

function AlertList({ detail }: { detail: IncidentDetail }) {
  const id = detail.incident.incident_id;
  const pages = usePaged(
    `${id}/${detail.incident.last_seq}`,
    { items: detail.alerts, next: detail.alerts_next_cursor },
    (cursor) => api.alertsPage(id, cursor).then((p) => ({ items: p.alerts, next: p.next_cursor }))
  );
  if (detail.alerts_total === 0) {
    return <Text color="secondary">No alerts: this incident was declared by hand.</Text>;
  }
  return (
    <Stack direction="column" gap={1}>
      <table>
        <caption>
          <Text weight="medium">
            Alerts ({pages.items.length} of {detail.alerts_total})
          </Text>
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
          {pages.items.map((a) => (
            <tr key={a.key}>
              <td>{a.alertname}</td>
              <td>{a.status}</td>
              <td>
                <TimeAgo at={a.starts_at} />
              </td>
              <td>
                <Stack gap={1}>
                  {[
                    ['source', a.generator_url],
                    ['dashboard', a.dashboard_url],
                    ['panel', a.panel_url],
                    ['image', a.image_url],
                  ]
                    .filter(([, u]) => httpLink(u))
                    .map(([label, u]) => (
                      <TextLink key={label} href={u!} external>
                        {label!}
                      </TextLink>
                    ))}
                </Stack>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {pages.error && <ApiErrorAlert error={pages.error} title="More alerts could not be loaded" />}
      {pages.hasMore && (
        <div>
          <Button variant="secondary" size="sm" disabled={pages.loading} onClick={pages.loadMore}>
            Show more alerts
          </Button>
        </div>
      )}
    </Stack>
  );
}
