import React, { useEffect, useMemo, useState } from 'react';
import { css } from '@emotion/css';
import { Link } from 'react-router-dom';
import { GrafanaTheme2, TimeRange } from '@grafana/data';
import { PluginPage } from '@grafana/runtime';
import { LoadingPlaceholder, Stack, Text, TimeRangePicker, useStyles2 } from '@grafana/ui';
import { api, ApiError, toApiError } from '../../api/client';
import { CATEGORY_LIST, SEVERITY_LIST, type Stats, STATUS_LIST } from '../../api/types';
import { ApiErrorAlert } from '../../components/ApiErrorAlert/ApiErrorAlert';
import { formatTime, userTimeZone } from '../../components/TimeAgo/TimeAgo';
import { testIds } from '../../components/testIds';
import { prefixRoute, ROUTES } from '../../constants';
import { CATEGORY_LABELS, formatDuration, moveRange, STATUS_LABELS } from '../../utils/format';
import { resolveRange } from '../../utils/timeRange';

// queueLink is the queue filtered to one figure of the overview, over the same time range.
export function queueLink(filter: Record<string, string>, range: TimeRange): string {
  const p = new URLSearchParams({
    status: 'any',
    ...filter,
    from: String(range.from.valueOf()),
    to: String(range.to.valueOf()),
  });
  return `${prefixRoute(ROUTES.Incidents)}?${p}`;
}

// Overview: counts, mean times against the SLA targets, and what is due, for a time range. Drills stay out.
function Overview() {
  const styles = useStyles2(getStyles);
  const [raw, setRaw] = useState({ from: 'now-30d', to: 'now' });
  const range = useMemo<TimeRange>(() => resolveRange(raw.from, raw.to), [raw]);
  // The answer for the range it was asked for: a stale one is not shown while the next loads.
  const [answer, setAnswer] = useState<{ range: TimeRange; stats?: Stats; error?: ApiError }>();
  const stats = answer?.range === range ? answer.stats : undefined;
  const error = answer?.range === range ? answer.error : undefined;

  useEffect(() => {
    let current = true;
    api
      .stats(range.from.toISOString(), range.to.toISOString())
      .then((s) => current && setAnswer({ range, stats: s }))
      .catch((err) => current && setAnswer({ range, error: toApiError(err) }));
    return () => {
      current = false;
    };
  }, [range]);

  const move = (step: -1 | 0 | 1) => {
    const r = moveRange(range.from.valueOf(), range.to.valueOf(), step, Date.now());
    setRaw({ from: String(r.from), to: String(r.to) });
  };

  const figure = (label: string, value: React.ReactNode, to?: string, tone?: 'bad') => (
    <div className={styles.figure} data-testid={testIds.overview.figure(label)}>
      <div className={tone === 'bad' ? styles.bad : styles.value}>{to ? <Link to={to}>{value}</Link> : value}</div>
      <div className={styles.label}>{label}</div>
    </div>
  );

  return (
    <PluginPage
      subTitle="AI incidents over a time range, drills left out."
      actions={
        <TimeRangePicker
          value={range}
          timeZone={userTimeZone()}
          onChange={(r) => setRaw({ from: String(r.raw.from), to: String(r.raw.to) })}
          onChangeTimeZone={() => {}}
          onMoveBackward={() => move(-1)}
          onMoveForward={() => move(1)}
          onZoom={() => move(0)}
        />
      }
    >
      {error && <ApiErrorAlert error={error} title="The overview could not be loaded" />}
      {!stats && !error && <LoadingPlaceholder text="Counting..." />}
      {stats && (
        <Stack direction="column" gap={3} data-testid={testIds.overview.container}>
          <section>
            <Text element="h3">By severity</Text>
            <div className={styles.row}>
              {SEVERITY_LIST.map((s) => figure(s, stats.by_severity[s] ?? 0, queueLink({ severity: s }, range)))}
            </div>
          </section>
          <section>
            <Text element="h3">Time to acknowledge, contain and resolve (mean)</Text>
            <table className={styles.table}>
              <thead>
                <tr>
                  <th scope="col">Severity</th>
                  <th scope="col">MTTA</th>
                  <th scope="col">MTTC</th>
                  <th scope="col">MTTR</th>
                </tr>
              </thead>
              <tbody>
                {SEVERITY_LIST.map((s) => (
                  <tr key={s}>
                    <th scope="row">{s}</th>
                    {(['mtta_seconds', 'mttc_seconds', 'mttr_seconds'] as const).map((k) => (
                      <td key={k}>{stats[k][s] !== undefined ? formatDuration(stats[k][s]) : '–'}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <section>
            <Text element="h3">Due and overdue</Text>
            <div className={styles.row}>
              {figure(
                'Open SLA breaches',
                stats.open_sla_breaches,
                undefined,
                stats.open_sla_breaches ? 'bad' : undefined
              )}
              {figure(
                'Regulatory reports overdue',
                stats.regulatory_overdue,
                undefined,
                stats.regulatory_overdue ? 'bad' : undefined
              )}
              {figure('Regulatory reports due in 72 h', stats.regulatory_due_72h.length)}
              {figure(
                'Overdue action items',
                stats.overdue_action_items,
                undefined,
                stats.overdue_action_items ? 'bad' : undefined
              )}
            </div>
            {stats.regulatory_due_72h.length > 0 && (
              <ul>
                {stats.regulatory_due_72h.map((d) => (
                  <li key={d.incident_id}>
                    <Link to={prefixRoute(`${ROUTES.Incident}/${d.incident_id}`)}>{d.title}</Link> ({d.severity}): due{' '}
                    {formatTime(d.due_at)}
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section>
            <Text element="h3">By status</Text>
            <div className={styles.row}>
              {STATUS_LIST.map((s) =>
                figure(STATUS_LABELS[s], stats.by_status[s] ?? 0, queueLink({ status: s }, range))
              )}
            </div>
          </section>
          <section>
            <Text element="h3">By category</Text>
            <div className={styles.row}>
              {CATEGORY_LIST.filter((c) => stats.by_category[c]).map((c) =>
                figure(CATEGORY_LABELS[c], stats.by_category[c], queueLink({ category: c }, range))
              )}
              {CATEGORY_LIST.every((c) => !stats.by_category[c]) && (
                <Text color="secondary">No incidents in this range.</Text>
              )}
            </div>
          </section>
        </Stack>
      )}
    </PluginPage>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  row: css({ display: 'flex', flexWrap: 'wrap', gap: theme.spacing(2) }),
  figure: css({
    minWidth: 140,
    padding: theme.spacing(1.5, 2),
    background: theme.colors.background.secondary,
    borderRadius: theme.shape.radius.default,
  }),
  value: css({ fontSize: theme.typography.h2.fontSize, a: { color: theme.colors.text.link } }),
  bad: css({ fontSize: theme.typography.h2.fontSize, color: theme.colors.error.text }),
  label: css({ color: theme.colors.text.secondary }),
  table: css({
    borderCollapse: 'collapse',
    'th, td': {
      padding: theme.spacing(0.75, 2),
      textAlign: 'left',
      borderBottom: `1px solid ${theme.colors.border.weak}`,
    },
  }),
});

export default Overview;
