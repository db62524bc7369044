// The services Grafana's frontend gives a plugin through @grafana/runtime, implemented over the stand-in's HTTP routes
// (tests/browser/server.mjs): the backend client, data sources, template variables, query running.
import { catchError, defer, from, map, Observable, of, startWith } from 'rxjs';
import {
  AppEvents,
  DataQueryRequest,
  DataQueryResponse,
  DataSourceApi,
  DataSourceInstanceSettings,
  DataSourceRef,
  LoadingState,
  PanelData,
  ScopedVars,
} from '@grafana/data';
import {
  BackendSrv,
  BackendSrvRequest,
  DataSourceSrv,
  FetchError,
  FetchResponse,
  GetDataSourceListFilters,
  getAppEvents,
  TemplateSrv,
  toDataQueryError,
} from '@grafana/runtime';
import { PrometheusDatasource } from '@grafana/prometheus';
import { sceneGraph, SceneObjectBase } from '@grafana/scenes';
import { ClickHouseStandIn } from './clickhouse';

// fetch() as Grafana's BackendSrv does it: JSON in and out, errors thrown as FetchError ({status, data: {message}}),
// and the global toasts (showErrorAlert, showSuccessAlert) published on appEvents, where the chrome shows them.
async function send<T>(options: BackendSrvRequest, signal: AbortSignal): Promise<FetchResponse<T>> {
  const method = (options.method ?? 'GET').toUpperCase();
  const url = new URL(options.url, window.location.origin);
  for (const [k, v] of Object.entries(options.params ?? {})) {
    for (const item of Array.isArray(v) ? v : [v]) {
      if (item !== undefined && item !== null) {
        url.searchParams.append(k, String(item));
      }
    }
  }
  const headers = new Headers(options.headers);
  headers.set('X-Grafana-Org-Id', '1');
  let body: BodyInit | undefined;
  if (options.data !== undefined && method !== 'GET' && method !== 'HEAD') {
    const d = options.data;
    if (typeof d === 'string' || d instanceof FormData || d instanceof Blob || d instanceof URLSearchParams) {
      body = d;
    } else {
      body = JSON.stringify(d);
      if (!headers.has('Content-Type')) {
        headers.set('Content-Type', 'application/json');
      }
    }
  }
  const resp = await fetch(url, {
    method,
    headers,
    body,
    signal: options.abortSignal ?? signal,
    credentials: 'same-origin',
  });
  // Bytes asked for are kept as Grafana keeps them (an ArrayBuffer or a Blob), errors included.
  const binary = options.responseType === 'arraybuffer' || options.responseType === 'blob';
  const bytes = binary ? await resp.arrayBuffer() : undefined;
  const text = bytes ? '' : await resp.text();
  let data: unknown = bytes ? (options.responseType === 'blob' ? new Blob([bytes]) : bytes) : text;
  if (!binary && options.responseType !== 'text' && text !== '') {
    try {
      data = JSON.parse(text);
    } catch {
      // Not JSON: kept as text, as Grafana does.
    }
  }
  const response: FetchResponse<T> = {
    data: data as T,
    status: resp.status,
    statusText: resp.statusText,
    ok: resp.ok,
    headers: resp.headers,
    redirected: resp.redirected,
    type: resp.type,
    url: resp.url,
    config: options,
  };
  if (!resp.ok) {
    // Grafana's processRequestError: a text body becomes {error, response}; data.error stands in for data.message.
    const errData: Record<string, unknown> =
      data && typeof data === 'object' ? (data as Record<string, unknown>) : { error: resp.statusText, response: data };
    if (!errData.message && typeof errData.error === 'string') {
      errData.message = errData.error;
    }
    const err: FetchError = { status: resp.status, statusText: resp.statusText, data: errData, config: options };
    if (options.showErrorAlert !== false) {
      publishAlert(AppEvents.alertError.name, String(errData.message ?? `HTTP ${resp.status}`));
    }
    throw err;
  }
  const message = (data as { message?: unknown } | null)?.message;
  if (options.showSuccessAlert !== false && method !== 'GET' && typeof message === 'string') {
    publishAlert(AppEvents.alertSuccess.name, message);
  }
  return response;
}

function publishAlert(type: string, message: string) {
  getAppEvents().publish({ type, payload: [message] });
}

function fetchObservable<T>(options: BackendSrvRequest): Observable<FetchResponse<T>> {
  return new Observable((subscriber) => {
    const controller = new AbortController();
    send<T>(options, controller.signal).then(
      (r) => {
        subscriber.next(r);
        subscriber.complete();
      },
      (e) => subscriber.error(e)
    );
    return () => controller.abort();
  });
}

async function request<T>(options: BackendSrvRequest): Promise<T> {
  return (await send<T>(options, new AbortController().signal)).data;
}

export const backendSrv: BackendSrv = {
  fetch: fetchObservable,
  request,
  datasourceRequest: (options) => send(options, new AbortController().signal),
  get: (url, params, requestId, options) => request({ ...options, url, params, requestId, method: 'GET' }),
  delete: (url, data, options) => request({ ...options, url, data, method: 'DELETE' }),
  post: (url, data, options) => request({ ...options, url, data, method: 'POST' }),
  patch: (url, data, options) => request({ ...options, url, data, method: 'PATCH' }),
  put: (url, data, options) => request({ ...options, url, data, method: 'PUT' }),
  chunked: () => {
    throw new Error('chunked requests are not supported by the Grafana stand-in');
  },
};

// The data sources of the boot data (config.datasources): Prometheus, as the real PrometheusDatasource of
// @grafana/prometheus, and ClickHouse, as the host's stand-in for its frontend (clickhouse.ts); the queries of both go
// to /api/ds/query like in Grafana.
export function dataSourceSrv(all: DataSourceInstanceSettings[]): DataSourceSrv {
  const instances = new Map<string, DataSourceApi>();
  const find = (ref?: DataSourceRef | string | null) => {
    if (!ref) {
      return all.find((ds) => ds.isDefault) ?? all[0];
    }
    const key = typeof ref === 'string' ? ref : ref.uid;
    return all.find((ds) => ds.uid === key || ds.name === key);
  };
  return {
    async get(ref) {
      const settings = find(ref);
      if (!settings) {
        throw new Error(`Data source ${JSON.stringify(ref)} was not found`);
      }
      const make = {
        prometheus: () => new PrometheusDatasource(settings as DataSourceInstanceSettings<never>),
        'grafana-clickhouse-datasource': () => new ClickHouseStandIn(settings),
      }[settings.type];
      if (!make) {
        throw new Error(
          `The Grafana stand-in serves only Prometheus and ClickHouse data sources, not ${settings.type}`
        );
      }
      if (!instances.has(settings.uid)) {
        instances.set(settings.uid, make() as unknown as DataSourceApi);
      }
      return instances.get(settings.uid)!;
    },
    getList(filters: GetDataSourceListFilters = {}) {
      const types = filters.type === undefined ? undefined : ([] as string[]).concat(filters.type);
      return all.filter(
        (ds) =>
          (!types || types.includes(ds.type)) &&
          (!filters.pluginId || ds.meta.id === filters.pluginId) &&
          (!filters.metrics || ds.meta.metrics) &&
          (!filters.filter || filters.filter(ds))
      );
    },
    getInstanceSettings: find,
    reload: async () => {},
    registerRuntimeDataSource: () => {
      throw new Error('runtime data sources are not supported by the Grafana stand-in');
    },
  };
}

// Template variables: those a request brings in scopedVars ($__interval, $__rate_interval, ...) and, for queries of
// the host's own scenes (the dashboard viewer, dashboards.tsx), the scene's variables, as Grafana's TemplateSrv hands
// them to scenes. The plugin's scenes (its own copy of @grafana/scenes) get scopedVars only.
export const templateSrv: TemplateSrv = {
  getVariables: () => [],
  replace(target = '', scopedVars?: ScopedVars, format?: string | Function) {
    // scenes wraps the object (SafeSerializableSceneObject); valueOf() unwraps it, as Grafana's TemplateSrv does.
    const scene = scopedVars?.__sceneObject?.value?.valueOf();
    if (scene instanceof SceneObjectBase) {
      return sceneGraph.interpolate(scene, target, scopedVars, format as Parameters<typeof sceneGraph.interpolate>[3]);
    }
    return target.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g, (match, a, b, c) => {
      const v = scopedVars?.[a ?? b ?? c];
      return v === undefined ? match : String(v.value);
    });
  },
  containsTemplate: (target) => Boolean(target && /\$\{?\w+|\[\[\w+\]\]/.test(target)),
  updateTimeRange: () => {},
};

// Grafana's runRequest, reduced to what a query runner (SceneQueryRunner) needs: Loading, then the response's frames as
// PanelData, or the error.
export function runRequest(
  ds: DataSourceApi,
  req: DataQueryRequest,
  queryFunction?: typeof ds.query
): Observable<PanelData> {
  const base = { series: [], timeRange: req.range, request: req };
  const query = queryFunction ?? ds.query.bind(ds);
  return defer(() => from(query(req))).pipe(
    map((res: DataQueryResponse): PanelData => {
      const errors = res.errors ?? (res.error ? [res.error] : undefined);
      const state = res.state ?? (errors?.length ? LoadingState.Error : LoadingState.Done);
      return { ...base, state, series: res.data, errors, error: errors?.[0] };
    }),
    catchError((err) => {
      const error = toDataQueryError(err);
      return of<PanelData>({ ...base, state: LoadingState.Error, error, errors: [error] });
    }),
    startWith<PanelData>({ ...base, state: LoadingState.Loading })
  );
}
