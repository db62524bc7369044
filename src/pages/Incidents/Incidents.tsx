import React, { startTransition, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { css, cx } from '@emotion/css';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { GrafanaTheme2, rangeUtil } from '@grafana/data';
import { PluginPage } from '@grafana/runtime';
import {
  Alert,
  Button,
  Combobox,
  type ComboboxOption,
  EmptyState,
  Field,
  InlineSwitch,
  Input,
  LinkButton,
  LoadingPlaceholder,
  MultiCombobox,
  Stack,
  Text,
  TimeRangePicker,
  useStyles2,
} from '@grafana/ui';
import { api, ApiError, toApiError } from '../../api/client';
import {
  ATLAS_TACTICS,
  CATEGORY_LIST,
  DEPLOYMENT_BREADTHS,
  type DeploymentBreadth,
  type Harm,
  HARMS,
  NIST_AI_600_1,
  type IncidentPage,
  type IncidentRow,
  OWASP_LLM_2025,
  SEVERITY_LIST,
  STATUS_LIST,
} from '../../api/types';
import { ApiErrorAlert } from '../../components/ApiErrorAlert/ApiErrorAlert';
import { SeverityBadge } from '../../components/SeverityBadge/SeverityBadge';
import { SlaCountdown } from '../../components/SlaCountdown/SlaCountdown';
import { FlappingBadge } from '../../components/FlappingBadge/FlappingBadge';
import { StatusBadge } from '../../components/StatusBadge/StatusBadge';
import { TimeAgo, userTimeZone } from '../../components/TimeAgo/TimeAgo';
import { testIds } from '../../components/testIds';
import { PLUGIN_ID, prefixRoute, ROUTES } from '../../constants';
import { CATEGORY_LABELS, moveRange, STATUS_LABELS } from '../../utils/format';
import { resolveRange } from '../../utils/timeRange';
import { QueueFilters, readFilters, toListFilter, writeFilters } from './filters';
import { ExportCSV } from './ExportCSV';

const PAGE_SIZE = 50;
// The rows a screen shows first render on their own; the rest of the page follows right after, so opening the queue
// does not wait for rows below the fold.
const FIRST_ROWS = 20;
const REFRESH_INTERVALS = ['10s', '30s', '1m', '5m'];
const DEFAULT_REFRESH = '30s';

const option = <T extends string>(value: T, label: string): ComboboxOption<T> => ({ value, label });
const OWASP_OPTIONS = Object.entries(OWASP_LLM_2025).map(([code, name]) => option(code, `${code} ${name}`));
const HARM_OPTIONS = (Object.entries(HARMS) as Array<[Harm, string]>).map(([harm, label]) => option(harm, label));
const ATLAS_OPTIONS = Object.entries(ATLAS_TACTICS).map(([id, name]) => option(id, `${id} ${name}`));
const NIST_OPTIONS = Object.entries(NIST_AI_600_1).map(([slug, name]) => option(slug, name));
const BREADTH_OPTIONS = (Object.entries(DEPLOYMENT_BREADTHS) as Array<[DeploymentBreadth, string]>).map(
  ([breadth, label]) => option(breadth, label)
);

type Load =
  { state: 'loading' } | { state: 'done'; rows: IncidentRow[]; next: string } | { state: 'error'; error: ApiError };

// The incident queue: newest first, filters in the URL, cursor paging, auto-refresh that keeps the user's place and
// highlights what is new.
function Incidents() {
  const styles = useStyles2(getStyles);
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const filters = useMemo(() => readFilters(params), [params]);
  const [refresh, setRefresh] = useState(params.get('refresh') ?? DEFAULT_REFRESH);
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const [search, setSearch] = useState(filters.q);
  // The rarer classification filters show on demand, and always while one is set.
  const [moreOpen, setMoreOpen] = useState(false);
  const moreShown =
    moreOpen || filters.atlasTactics.length > 0 || filters.nistRisks.length > 0 || filters.deploymentBreadth.length > 0;
  const known = useRef<Set<string> | null>(null);
  const [tick, setTick] = useState(0);
  const range = useMemo(() => resolveRange(filters.from, filters.to), [filters.from, filters.to]);

  const update = useCallback(
    (change: Partial<QueueFilters>) => {
      // A new filter starts from the first page.
      setParams(writeFilters({ ...filters, cursor: '', ...change }));
      known.current = null;
    },
    [filters, setParams]
  );

  // The search box follows the URL (back button, a shared link) without an effect.
  const [searchOf, setSearchOf] = useState(filters.q);
  if (searchOf !== filters.q) {
    setSearchOf(filters.q);
    setSearch(filters.q);
  }

  const move = (step: -1 | 0 | 1) => {
    const r = moveRange(range.from.valueOf(), range.to.valueOf(), step, Date.now());
    update({ from: String(r.from), to: String(r.to) });
  };

  // The first request starts while the page renders for the first time rather than after it: that render (the
  // filter bar) is most of the time it takes to open the queue, and the answer arrives during it.
  const first = useRef<{ filters: QueueFilters; page?: Promise<IncidentPage> }>();
  if (first.current == null) {
    const page = listPage(filters);
    // Handled where it is used; a page left before its first effect drops it without an unhandled rejection.
    page.catch(() => undefined);
    first.current = { filters, page };
  }

  useEffect(() => {
    let current = true;
    let request = first.current?.filters === filters && tick === 0 ? first.current.page : undefined;
    first.current = { filters };
    request ??= listPage(filters);
    request
      .then((page) => {
        if (!current) {
          return;
        }
        const ids = new Set(page.incidents.map((i) => i.incident_id));
        if (known.current) {
          setFresh(new Set([...ids].filter((id) => !known.current!.has(id))));
        }
        known.current = ids;
        setLoad({ state: 'done', rows: page.incidents, next: page.next_cursor });
      })
      .catch((err) => current && setLoad({ state: 'error', error: toApiError(err) }));
    return () => {
      current = false;
    };
  }, [filters, tick]);

  useEffect(() => {
    const ms = refresh ? rangeUtil.intervalToMs(refresh) : 0;
    if (!ms) {
      return;
    }
    const t = setInterval(() => setTick((n) => n + 1), ms);
    return () => clearInterval(t);
  }, [refresh]);

  const notConfigured =
    load.state === 'error' && load.error.status === 503 && /not configured/i.test(load.error.message);
  const rows = load.state === 'done' ? load.rows : [];
  // The filters and time range render right after the first rows, not before them: they take longer to render than
  // the first page takes to arrive, and people open the queue for its incidents. Their place is kept.
  const [controlsShown, setControlsShown] = useState(false);
  useEffect(() => startTransition(() => setControlsShown(true)), []);
  const [allRows, setAllRows] = useState(false);
  useEffect(() => {
    if (allRows || rows.length <= FIRST_ROWS) {
      return;
    }
    const t = setTimeout(() => startTransition(() => setAllRows(true)));
    return () => clearTimeout(t);
  }, [allRows, rows.length]);

  return (
    <PluginPage
      subTitle="AI incidents, newest first. Filters live in the URL: share it."
      actions={
        <LinkButton icon="plus" href={prefixRoute(ROUTES.Declare)} variant="primary">
          Declare incident
        </LinkButton>
      }
    >
      <div data-testid={testIds.incidents.container}>
        <Stack direction="column" gap={2}>
          {!controlsShown && <div className={styles.controlsPlaceholder} aria-busy="true" />}
          {controlsShown && (
            <>
              <div className={styles.filters}>
                <FilterSelect
                  label="Status"
                  options={STATUS_LIST.map((s) => option(s, STATUS_LABELS[s]))}
                  value={filters.status}
                  onChange={(status) => update({ status })}
                />
                <FilterSelect
                  label="Severity"
                  options={SEVERITY_LIST.map((s) => option(s, s))}
                  value={filters.severity}
                  onChange={(severity) => update({ severity })}
                />
                <FilterSelect
                  label="Category"
                  options={CATEGORY_LIST.map((c) => option(c, CATEGORY_LABELS[c]))}
                  value={filters.category}
                  onChange={(category) => update({ category })}
                />
                <FilterSelect
                  label="AI system"
                  allowCustomValue
                  options={[...new Set([...filters.aiSystem, ...rows.map((r) => r.ai_system)])].map((s) =>
                    option(s, s)
                  )}
                  value={filters.aiSystem}
                  onChange={(aiSystem) => update({ aiSystem })}
                />
                <FilterSelect
                  label="OWASP LLM entry"
                  placeholder="Any OWASP LLM entry"
                  options={OWASP_OPTIONS}
                  value={filters.owaspLLM}
                  onChange={(owaspLLM) => update({ owaspLLM })}
                />
                <FilterSelect
                  label="EU harm"
                  placeholder="Any harm"
                  options={HARM_OPTIONS}
                  value={filters.harm}
                  onChange={(harm) => update({ harm })}
                />
                {moreShown ? (
                  <>
                    <FilterSelect
                      label="MITRE ATLAS tactic"
                      placeholder="Any ATLAS tactic"
                      options={ATLAS_OPTIONS}
                      value={filters.atlasTactics}
                      onChange={(atlasTactics) => update({ atlasTactics })}
                    />
                    <FilterSelect
                      label="NIST AI 600-1 risk"
                      placeholder="Any NIST risk"
                      options={NIST_OPTIONS}
                      value={filters.nistRisks}
                      onChange={(nistRisks) => update({ nistRisks })}
                    />
                    <FilterSelect
                      label="Deployment breadth"
                      options={BREADTH_OPTIONS}
                      value={filters.deploymentBreadth}
                      onChange={(deploymentBreadth) => update({ deploymentBreadth })}
                    />
                  </>
                ) : (
                  <Button variant="secondary" fill="text" icon="angle-down" onClick={() => setMoreOpen(true)}>
                    More classification filters
                  </Button>
                )}
                <Field label="Search" className={styles.search}>
                  <Input
                    aria-label="Search titles and descriptions"
                    placeholder="Title or description"
                    value={search}
                    maxLength={200}
                    onChange={(e) => setSearch(e.currentTarget.value)}
                    onKeyDown={(e) => e.key === 'Enter' && update({ q: search })}
                    onBlur={() => search !== filters.q && update({ q: search })}
                  />
                </Field>
                <Field label="Drills" className={styles.switchField}>
                  <InlineSwitch
                    label="Include drills"
                    showLabel
                    value={filters.drills}
                    onChange={(e) => update({ drills: e.currentTarget.checked })}
                  />
                </Field>
              </div>
              <Stack justifyContent="space-between" alignItems="center" wrap="wrap">
                <Text color="secondary" element="p">
                  Incidents declared in the time range on the right
                  {filters.status.length ? `; ${filters.status.map((s) => STATUS_LABELS[s]).join(', ')}` : ''}.
                </Text>
                <Stack gap={1}>
                  <TimeRangePicker
                    value={range}
                    timeZone={userTimeZone()}
                    onChange={(r) =>
                      update({
                        from: typeof r.raw.from === 'string' ? r.raw.from : String(r.from.valueOf()),
                        to: typeof r.raw.to === 'string' ? r.raw.to : String(r.to.valueOf()),
                      })
                    }
                    onChangeTimeZone={() => {}}
                    onMoveBackward={() => move(-1)}
                    onMoveForward={() => move(1)}
                    onZoom={() => move(0)}
                  />
                  {/* Not Grafana's RefreshPicker: its interval button's accessible name does not contain its visible text
                  (axe: label-content-name-mismatch, serious). */}
                  <Button variant="secondary" icon="sync" onClick={() => setTick((n) => n + 1)}>
                    Refresh
                  </Button>
                  <span hidden id="queue-auto-refresh-name">
                    Auto-refresh
                  </span>
                  <Combobox
                    id="queue-auto-refresh"
                    aria-labelledby="queue-auto-refresh-name"
                    width={20}
                    options={[
                      { value: '', label: 'Auto-refresh off' },
                      ...REFRESH_INTERVALS.map((i) => ({ value: i, label: `Every ${i}` })),
                    ]}
                    value={refresh}
                    onChange={(v) => setRefresh(v.value)}
                  />
                  <ExportCSV from={filters.from} to={filters.to} drills={filters.drills} />
                </Stack>
              </Stack>
            </>
          )}

          {load.state === 'loading' && <LoadingPlaceholder text="Loading incidents..." />}
          {notConfigured && (
            <Alert
              severity="warning"
              title="Firebreak is not configured yet"
              data-testid={testIds.incidents.notConfigured}
            >
              <Stack direction="column" gap={1}>
                <span>{load.state === 'error' ? load.error.message : ''}</span>
                <span>
                  <LinkButton href={`/plugins/${PLUGIN_ID}`} variant="secondary" icon="cog">
                    Open the configuration
                  </LinkButton>
                </span>
              </Stack>
            </Alert>
          )}
          {load.state === 'error' && !notConfigured && (
            <ApiErrorAlert error={load.error} title="The incidents could not be loaded" />
          )}
          {load.state === 'done' && rows.length === 0 && <EmptyQueue filtered={params.toString() !== ''} />}
          {rows.length > 0 && (
            <table className={styles.table} data-testid={testIds.incidents.table}>
              <thead>
                <tr>
                  <th scope="col">Severity</th>
                  <th scope="col">Title</th>
                  <th scope="col">Status</th>
                  <th scope="col">AI system</th>
                  <th scope="col">Category</th>
                  <th scope="col">Declared</th>
                  <th scope="col">Alerts firing</th>
                  <th scope="col">Lead</th>
                  <th scope="col">SLA</th>
                </tr>
              </thead>
              <tbody>
                {(allRows ? rows : rows.slice(0, FIRST_ROWS)).map((r) => (
                  <tr
                    key={r.incident_id}
                    className={cx(fresh.has(r.incident_id) && styles.fresh)}
                    data-testid={testIds.incidents.row(r.incident_id)}
                  >
                    <td>
                      <SeverityBadge severity={r.severity} />
                    </td>
                    <td className={styles.title}>
                      <Link to={prefixRoute(`${ROUTES.Incident}/${r.incident_id}`)}>{r.title}</Link>
                    </td>
                    <td>
                      <StatusBadge status={r.status} drill={r.drill} compact />
                      <FlappingBadge flapping={r.flapping} compact />
                    </td>
                    <td>{r.ai_system}</td>
                    <td>{CATEGORY_LABELS[r.category] ?? r.category}</td>
                    <td>
                      <TimeAgo at={r.declared_at} />
                    </td>
                    <td>
                      {r.firing_alert_count} / {r.alert_count}
                    </td>
                    <td>{r.roles?.incident_lead ?? <Text color="secondary">none</Text>}</td>
                    <td>
                      <SlaCountdown incident={r} sla={r.sla} compact />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {load.state === 'done' && (filters.cursor || load.next) && (
            <Stack gap={1}>
              <Button variant="secondary" icon="arrow-left" disabled={!filters.cursor} onClick={() => navigate(-1)}>
                Previous page
              </Button>
              <Button
                variant="secondary"
                icon="arrow-right"
                disabled={!load.next}
                onClick={() => setParams(writeFilters({ ...filters, cursor: load.next }))}
              >
                Next page
              </Button>
            </Stack>
          )}
        </Stack>
      </div>
    </PluginPage>
  );
}

function listPage(filters: QueueFilters): Promise<IncidentPage> {
  const r = resolveRange(filters.from, filters.to);
  return api.listIncidents(toListFilter(filters, r.from.valueOf(), r.to.valueOf(), PAGE_SIZE));
}

function FilterSelect<T extends string>(props: {
  label: string;
  options: Array<ComboboxOption<T>>;
  value: T[];
  onChange: (v: T[]) => void;
  allowCustomValue?: boolean;
  placeholder?: string;
}) {
  const styles = useStyles2(getStyles);
  return (
    <Field label={props.label} className={styles.filter}>
      <MultiCombobox<T>
        id={`queue-filter-${props.label.toLowerCase().replace(/\W+/g, '-')}`}
        placeholder={
          props.placeholder ?? `Any ${props.label === 'AI system' ? props.label : props.label.toLowerCase()}`
        }
        createCustomValue={props.allowCustomValue}
        isClearable
        options={props.options}
        value={props.value}
        onChange={(v) => props.onChange(v.map((x) => x.value))}
      />
    </Field>
  );
}

const ALERTMANAGER_SNIPPET = `receivers:
  - name: firebreak
    webhook_configs:
      - url: http://<firebreak-receiver>:9095/api/v1/webhook
        send_resolved: true
        http_config:
          authorization:
            credentials_file: /etc/alertmanager/firebreak-token`;

function EmptyQueue({ filtered }: { filtered: boolean }) {
  const styles = useStyles2(getStyles);
  if (filtered) {
    return <EmptyState variant="not-found" message="No incidents match these filters" />;
  }
  return (
    <EmptyState variant="call-to-action" message="No open AI incidents">
      <Stack direction="column" gap={1} alignItems="flex-start" data-testid={testIds.incidents.empty}>
        <Text element="p">
          Route your AI alerts to Firebreak and it declares incidents from them. In alertmanager.yml:
        </Text>
        <pre className={styles.snippet}>{ALERTMANAGER_SNIPPET}</pre>
        <Text element="p" color="secondary">
          Or declare one by hand with the button above.
        </Text>
      </Stack>
    </EmptyState>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  controlsPlaceholder: css({ minHeight: 180 }),
  filters: css({ display: 'flex', flexWrap: 'wrap', gap: theme.spacing(1), alignItems: 'flex-end' }),
  filter: css({ minWidth: 180, maxWidth: 280, marginBottom: 0 }),
  search: css({ minWidth: 220, marginBottom: 0 }),
  switchField: css({ marginBottom: 0 }),
  table: css({
    width: '100%',
    borderCollapse: 'collapse',
    'th, td': {
      padding: theme.spacing(1),
      textAlign: 'left',
      borderBottom: `1px solid ${theme.colors.border.weak}`,
      verticalAlign: 'middle',
    },
    th: { color: theme.colors.text.secondary, fontWeight: theme.typography.fontWeightMedium, whiteSpace: 'nowrap' },
    'tbody tr:hover': { background: theme.colors.action.hover },
  }),
  title: css({ a: { color: theme.colors.text.link, fontWeight: theme.typography.fontWeightMedium } }),
  fresh: css({ background: theme.colors.warning.transparent }),
  snippet: css({
    textAlign: 'left',
    padding: theme.spacing(1),
    background: theme.colors.background.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
});

export default Incidents;
