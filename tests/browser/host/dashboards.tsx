// The stand-in's dashboard viewer (/dev/dashboards/<uid>[?from=&to=&var-<name>=]; not Grafana, not shipped): draws a committed dashboard
// (dashboards/*.json, served at Grafana's /api/dashboards/uid/<uid>) with @grafana/scenes: its time range, its
// variables at their defaults, its annotation queries, and each panel where its gridPos puts it, as a VizPanel of its
// type querying its data source with its own targets. A panel of a type the stand-in cannot draw (panels.tsx) shows
// its title and says so.
import React, { useEffect, useState } from 'react';
import { useLocation, useParams } from 'react-router';
import { css } from '@emotion/css';
import { getBackendSrv } from '@grafana/runtime';
import {
  ConstantVariable,
  CustomVariable,
  dataLayers,
  EmbeddedScene,
  QueryVariable,
  SceneControlsSpacer,
  SceneDataLayerSet,
  SceneGridItem,
  SceneGridLayout,
  SceneObject,
  SceneQueryRunner,
  SceneReactObject,
  SceneTimePicker,
  SceneTimeRange,
  SceneVariable,
  SceneVariableSet,
  VariableValueSelectors,
  VizPanel,
} from '@grafana/scenes';
import { Alert, LoadingPlaceholder, useStyles2 } from '@grafana/ui';
import { GrafanaTheme2 } from '@grafana/data';
import { panelTypes } from './panels';

// The parts of Grafana's dashboard JSON (schemaVersion 41) the viewer reads.
interface Target {
  refId: string;
  datasource?: { type?: string; uid?: string };
  [key: string]: unknown;
}

interface Panel {
  type: string;
  title: string;
  description?: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  options?: Record<string, unknown>;
  fieldConfig?: { defaults: Record<string, unknown>; overrides: unknown[] };
  maxDataPoints?: number;
  interval?: string;
}

interface Variable {
  type: string;
  name: string;
  label?: string;
  hide?: number;
  query: string;
  datasource?: { type?: string; uid?: string };
  current?: { text: string | string[]; value: string | string[] };
  multi?: boolean;
  includeAll?: boolean;
  refresh?: number;
  sort?: number;
}

export interface Dashboard {
  uid: string;
  title: string;
  timezone?: string;
  time: { from: string; to: string };
  panels: Panel[];
  templating?: { list?: Variable[] };
  annotations?: { list?: Array<{ name: string; enable: boolean; builtIn?: number; [key: string]: unknown }> };
}

// A dashboard variable as a scene variable, at its default or at the page's values (?var-<name>=a&var-<name>=b, as in
// Grafana's dashboard URLs).
function variable(v: Variable, search: URLSearchParams): SceneVariable {
  const common = { name: v.name, label: v.label, hide: v.hide };
  const chosen = search.getAll(`var-${v.name}`);
  const value = chosen.length ? (v.multi ? chosen : chosen[0]) : undefined;
  const current = value ? { value, text: value } : { value: v.current?.value ?? '', text: v.current?.text ?? '' };
  switch (v.type) {
    case 'constant':
      return new ConstantVariable({ ...common, value: v.query });
    case 'custom':
      return new CustomVariable({ ...common, ...current, query: v.query, isMulti: v.multi, includeAll: v.includeAll });
    case 'query':
      return new QueryVariable({
        ...common,
        ...current,
        query: v.query,
        datasource: v.datasource,
        isMulti: v.multi,
        includeAll: v.includeAll,
        refresh: v.refresh,
        sort: v.sort,
      });
  }
  throw new Error(`variable ${v.name}: the viewer does not know variables of type ${v.type}`);
}

function panel(p: Panel): SceneObject {
  if (!panelTypes().includes(p.type)) {
    return new SceneReactObject({ component: () => <Undrawable panel={p} /> });
  }
  return new VizPanel({
    pluginId: p.type,
    title: p.title,
    description: p.description,
    options: p.options ?? {},
    fieldConfig: (p.fieldConfig ?? { defaults: {}, overrides: [] }) as VizPanel['state']['fieldConfig'],
    $data: new SceneQueryRunner({
      datasource: p.datasource,
      queries: p.targets ?? [],
      maxDataPoints: p.maxDataPoints,
      minInterval: p.interval,
    }),
  });
}

function Undrawable({ panel }: { panel: Panel }) {
  return (
    <section aria-label={panel.title} style={{ padding: 8 }}>
      <h3>{panel.title}</h3>
      <p>
        A <code>{panel.type}</code> panel: the stand-in draws {panelTypes().join(', ')} panels only.
      </p>
    </section>
  );
}

// The dashboard's time range and variables, or the page's: ?from=&to=, ?var-<name>= (as in Grafana's dashboard URLs).
export function dashboardScene(d: Dashboard, search: URLSearchParams): EmbeddedScene {
  const time = { from: search.get('from') ?? d.time.from, to: search.get('to') ?? d.time.to };
  const annotations = (d.annotations?.list ?? []).filter((a) => a.enable && !a.builtIn);
  return new EmbeddedScene({
    $timeRange: new SceneTimeRange({ ...time, timeZone: d.timezone || 'browser' }),
    $variables: new SceneVariableSet({ variables: (d.templating?.list ?? []).map((v) => variable(v, search)) }),
    $data: new SceneDataLayerSet({
      layers: annotations.map(
        (a) => new dataLayers.AnnotationsDataLayer({ name: a.name, query: a as never, isEnabled: true })
      ),
    }),
    controls: [new VariableValueSelectors({}), new SceneControlsSpacer(), new SceneTimePicker({ isOnCanvas: true })],
    body: new SceneGridLayout({
      isDraggable: false,
      isResizable: false,
      isLazy: false,
      children: d.panels.map(
        (p) =>
          new SceneGridItem({
            x: p.gridPos.x,
            y: p.gridPos.y,
            width: p.gridPos.w,
            height: p.gridPos.h,
            isDraggable: false,
            isResizable: false,
            body: panel(p),
          })
      ),
    }),
  });
}

export function DashboardViewer() {
  const { uid = '' } = useParams();
  const query = useLocation().search;
  const styles = useStyles2(getStyles);
  const [loaded, setLoaded] = useState<{ dashboard?: Dashboard; scene?: EmbeddedScene; error?: string }>({});
  useEffect(() => {
    const search = new URLSearchParams(query);
    getBackendSrv()
      .get<{ dashboard: Dashboard }>(`/api/dashboards/uid/${encodeURIComponent(uid)}`, undefined, undefined, {
        showErrorAlert: false,
      })
      .then(
        ({ dashboard }) => setLoaded({ dashboard, scene: dashboardScene(dashboard, search) }),
        (e) => setLoaded({ error: e?.data?.message ?? String(e) })
      );
  }, [uid, query]);
  if (loaded.error) {
    return (
      <Alert severity="error" title={`Could not load the dashboard ${uid}`}>
        {loaded.error}
      </Alert>
    );
  }
  if (!loaded.scene || !loaded.dashboard) {
    return <LoadingPlaceholder text="Loading dashboard..." />;
  }
  return (
    <div className={styles.page}>
      <h1 className={styles.title}>{loaded.dashboard.title}</h1>
      <p className={styles.note}>
        Drawn by the development stand-in for Grafana with @grafana/scenes from the dashboard&apos;s own queries, not by
        Grafana.
      </p>
      <loaded.scene.Component model={loaded.scene} />
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  page: css({ padding: theme.spacing(2), display: 'flex', flexDirection: 'column', gap: theme.spacing(1) }),
  title: css({ margin: 0, fontSize: theme.typography.h3.fontSize }),
  note: css({ margin: 0, color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
});
