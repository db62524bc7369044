#!/usr/bin/env node
// The HTTP side of the development stand-in for Grafana (not Grafana): serves the host page (host/, bundled here with
// esbuild) and the plugin's built files (dist/) at Grafana's paths, and stands in for the Grafana HTTP routes the
// plugin's frontend uses:
//   /api/plugins/<id>/{resources/*,health,settings}  forwarded to grafanahost, which runs the real backend binary; the
//                                                    user is the grafana_user / grafana_role cookies (none: 401, as
//                                                    Grafana answers a visitor who is not signed in)
//   /api/datasources, /api/datasources/uid/<uid>     the one Prometheus data source (uid firebreak-prometheus)
//   /api/datasources/{uid/<uid>/resources,proxy/uid/<uid>}/*   forwarded to that Prometheus
//   /api/ds/query                                    a TEST DOUBLE of Grafana's server-side Prometheus (see dsQuery)
//                                                    and of the ClickHouse data source's backend (see clickhouseFrames)
//   /api/dashboards/uid/<uid>                        the committed dashboards/*.json, for the host's dashboard viewer
//
//   node tests/browser/server.mjs --grafana http://127.0.0.1:3001 [--prometheus http://127.0.0.1:9090]
//     [--clickhouse http://127.0.0.1:8123] [--listen 127.0.0.1:3000] [--dist dist]
import { build, stop } from 'esbuild';
import http from 'node:http';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { macroArgs } from './host/macro-args.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const { values: opt } = parseArgs({
  options: {
    listen: { type: 'string', default: '127.0.0.1:3000' },
    grafana: { type: 'string' },
    prometheus: { type: 'string' },
    clickhouse: { type: 'string' },
    dist: { type: 'string', default: path.join(root, 'dist') },
  },
});
if (!opt.grafana) {
  fail('--grafana (the URL of grafanahost) is required');
}
if (!existsSync(path.join(opt.dist, 'module.js'))) {
  fail(`${opt.dist}/module.js is missing: build the plugin first (npm run build)`);
}

const ROLES = ['None', 'Viewer', 'Editor', 'Admin'];
const PROMETHEUS_UID = 'firebreak-prometheus';
const CLICKHOUSE_UID = 'firebreak-clickhouse';
const GRAFANA_VERSION = '13.1.1';

function fail(msg) {
  console.error(`server: ${msg}`);
  process.exit(1);
}

// The host page's bundle, built once at start and served from memory.
const bundle = new Map();
{
  const runtimeEsm = path.join(root, 'node_modules/@grafana/runtime/dist/esm');
  const result = await build({
    entryPoints: [path.join(here, 'host/main.tsx')],
    bundle: true,
    write: false,
    outdir: '/host',
    publicPath: '/host/',
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    sourcemap: 'linked',
    // SystemJS's AMD extra defines a global define(): without this, UMD modules (lodash) register with it instead
    // of exporting.
    define: { 'process.env.NODE_ENV': '"production"', define: 'undefined', global: 'globalThis' },
    loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file', '.svg': 'file', '.png': 'file' },
    alias: {
      '@grafana/assistant': path.join(here, 'host/assistant-stub.ts'),
      'grafana-runtime-internal/PluginPage': path.join(runtimeEsm, 'components/PluginPage.mjs'),
      'react-custom-scrollbars-2': path.join(here, 'host/scrollbars.js'),
    },
    logLevel: 'warning',
  });
  for (const f of result.outputFiles) {
    bundle.set('/host/' + path.relative('/host', f.path), f.contents);
  }
  stop(); // esbuild's service process is not needed any more
  const systemjs = path.join(root, 'node_modules/systemjs/dist');
  bundle.set('/host/system.js', await readFile(path.join(systemjs, 'system.min.js')));
  bundle.set('/host/amd.js', await readFile(path.join(systemjs, 'extras/amd.min.js')));
}

const pluginJson = async () => JSON.parse(await readFile(path.join(opt.dist, 'plugin.json'), 'utf8'));
const pluginId = (await pluginJson()).id;
const pluginBase = `public/plugins/${pluginId}`;

const prometheus = opt.prometheus && {
  id: 1,
  uid: PROMETHEUS_UID,
  orgId: 1,
  name: 'Prometheus',
  type: 'prometheus',
  typeName: 'Prometheus',
  access: 'proxy',
  url: opt.prometheus,
  isDefault: true,
  readOnly: true,
  jsonData: { httpMethod: 'POST', prometheusType: 'Prometheus' },
};
// What the frontend's config.datasources holds for it.
const prometheusInstance = prometheus && {
  ...prometheus,
  url: `/api/datasources/proxy/uid/${PROMETHEUS_UID}`,
  meta: {
    id: 'prometheus',
    type: 'datasource',
    name: 'Prometheus',
    backend: true,
    metrics: true,
    alerting: true,
    annotations: true,
    module: 'core:plugin/prometheus',
    baseUrl: 'public/app/plugins/datasource/prometheus',
    info: {
      author: { name: 'Grafana Labs' },
      logos: { small: '', large: '' },
      links: [],
      screenshots: [],
      version: '',
      updated: '',
    },
  },
};

// The ClickHouse data source the dashboards query (grafana-clickhouse-datasource); in the page its frontend is the
// host's stand-in (host/clickhouse.ts), its queries are answered by clickhouseFrames.
const clickhouseInstance = opt.clickhouse && {
  id: 2,
  uid: CLICKHOUSE_UID,
  name: 'ClickHouse',
  type: 'grafana-clickhouse-datasource',
  access: 'proxy',
  readOnly: true,
  jsonData: {},
  meta: { ...prometheusInstance?.meta, id: 'grafana-clickhouse-datasource', name: 'ClickHouse', module: 'stand-in' },
};

function cookies(req) {
  const out = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) {
      out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
    }
  }
  return out;
}

// The signed-in user, or null: the picker in the page sets the cookies.
function userOf(req) {
  const c = cookies(req);
  const login = c.grafana_user ?? '';
  const role = ROLES.find((r) => r.toLowerCase() === (c.grafana_role ?? '').toLowerCase());
  return /^[A-Za-z0-9._@-]{1,64}$/.test(login) && role ? { login, role } : null;
}

// The permissions Grafana grants a basic role from plugin.json's roles (a grant to Viewer holds for Editor and Admin).
function permissionsOf(role, plugin) {
  const rank = ROLES.indexOf(role);
  const perms = {};
  for (const r of plugin.roles ?? []) {
    if (r.grants.some((g) => ROLES.indexOf(g) > 0 && ROLES.indexOf(g) <= rank)) {
      for (const p of r.role.permissions) {
        perms[p.action] = true;
      }
    }
  }
  return perms;
}

async function page(req, res) {
  const user = userOf(req);
  const query = new URL(req.url, 'http://x').searchParams.get('theme');
  const theme = [query, cookies(req).grafana_theme].find((t) => t === 'light' || t === 'dark') ?? 'dark';
  const bootData = {
    settings: {
      appUrl: `http://${req.headers.host}/`,
      appSubUrl: '',
      buildInfo: { version: GRAFANA_VERSION, edition: 'Open Source', env: 'production', commit: 'stand-in' },
      datasources: Object.fromEntries([prometheusInstance, clickhouseInstance].filter(Boolean).map((d) => [d.name, d])),
      defaultDatasource: prometheusInstance?.name ?? '',
      featureToggles: {},
      panels: {},
      apps: {},
    },
    user: {
      isSignedIn: Boolean(user),
      id: user ? 1 : 0,
      login: user?.login ?? '',
      name: user?.login ?? '',
      email: user ? `${user.login}@localhost` : '',
      orgId: 1,
      orgName: 'Main Org.',
      orgRole: user?.role ?? '',
      permissions: user ? permissionsOf(user.role, await pluginJson()) : {},
      theme,
      timezone: 'browser',
      weekStart: 'browser',
      locale: 'en-US',
      language: 'en-US',
    },
    navTree: [],
    assets: { light: '', dark: '' },
  };
  const script = (s) => JSON.stringify(s).replace(/</g, '\\u003c');
  send(
    res,
    200,
    'text/html; charset=utf-8',
    `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<base href="/">
<style>body { margin: 0; }</style>
<title>Firebreak: development stand-in for Grafana</title>
<link rel="icon" href="/${pluginBase}/img/logo.svg">
${bundle.has('/host/main.css') ? '<link rel="stylesheet" href="/host/main.css">' : ''}
<script>window.grafanaBootData = ${script(bootData)}; window.__grafana_public_path__ = '/public/';</script>
<script src="/host/system.js"></script>
<script src="/host/amd.js"></script>
<script src="/host/main.js" defer></script>
</head>
<body><div id="reactRoot"></div></body>
</html>
`
  );
}

function send(res, status, type, body) {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
}

const sendJSON = (res, status, v) => send(res, status, 'application/json', JSON.stringify(v));

const TYPES = {
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.md': 'text/markdown',
};

async function file(res, dir, rel) {
  const f = path.join(dir, rel);
  if (!f.startsWith(dir + path.sep)) {
    return sendJSON(res, 404, { message: 'Not found' });
  }
  try {
    send(res, 200, TYPES[path.extname(f)] ?? 'application/octet-stream', await readFile(f));
  } catch {
    sendJSON(res, 404, { message: 'Not found' });
  }
}

// Passes the request on to target, with the caller's identity replaced by extra, and the answer back unchanged.
function forward(req, res, target, extra) {
  const headers = { ...req.headers };
  for (const h of ['host', 'cookie', 'x-grafana-user', 'x-grafana-role', 'x-grafana-internal']) {
    delete headers[h];
  }
  const up = http.request(target, { method: req.method, headers: { ...headers, ...extra } }, (r) => {
    res.writeHead(r.statusCode ?? 502, r.headers);
    r.pipe(res);
  });
  up.on('error', (e) => sendJSON(res, 502, { message: `${target.origin} did not answer: ${e.message}` }));
  req.pipe(up);
}

async function body(req) {
  const chunks = [];
  for await (const c of req) {
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

// GET /api/plugins/<id>/settings: grafanahost's saved settings plus what Grafana takes from plugin.json.
async function settings(req, res, user) {
  const r = await fetch(new URL(`/api/plugins/${pluginId}/settings`, opt.grafana), {
    headers: { 'X-Grafana-User': user.login, 'X-Grafana-Role': user.role },
  });
  if (!r.ok) {
    return send(res, r.status, 'application/json', await r.text());
  }
  const p = await pluginJson();
  const logo = (l) => (l && !l.startsWith('public/') ? `${pluginBase}/${l}` : l);
  sendJSON(res, 200, {
    name: p.name,
    info: { ...p.info, logos: { small: logo(p.info.logos?.small), large: logo(p.info.logos?.large) } },
    includes: p.includes ?? [],
    dependencies: p.dependencies,
    module: `${pluginBase}/module.js`,
    baseUrl: pluginBase,
    defaultNavUrl: p.includes?.find((i) => i.defaultNav)?.path ?? `/plugins/${pluginId}/`,
    state: '',
    signature: 'internal',
    ...(await r.json()),
  });
}

// TEST DOUBLE of Grafana's /api/ds/query for Prometheus. Grafana's Prometheus data source runs on Grafana's server (Go
// code that is not available here), so this shim turns each query into a query_range (or, for instant queries, a
// query) against the real Prometheus and answers data frames in Grafana's wire format, one frame per series
// (Time + Value with the series' labels), as Grafana's Prometheus does. The step is the query's intervalMs, at least
// the range / 11,000 (Grafana's safe interval), with start and end aligned to it. It covers what the plugin's panels
// use; Grafana's exemplars, annotations, heatmaps, NaN encoding (non-finite values become null) and query caching
// are not reproduced. A failing query is answered in its result with HTTP 400, as Grafana does.
async function dsQuery(req, res) {
  const { from, to, queries = [] } = JSON.parse((await body(req)) || '{}');
  const results = {};
  let failed = false;
  await Promise.all(
    queries.map(async (q) => {
      try {
        let frames;
        if (q.datasource?.uid === PROMETHEUS_UID && prometheus) {
          frames = await promFrames(q, Number(from), Number(to));
        } else if (q.datasource?.uid === CLICKHOUSE_UID && opt.clickhouse) {
          frames = await clickhouseFrames(q, Number(from), Number(to));
        } else {
          throw new Error(`the stand-in answers queries of ${PROMETHEUS_UID} and ${CLICKHOUSE_UID} only`);
        }
        results[q.refId] = { status: 200, frames };
      } catch (e) {
        failed = true;
        results[q.refId] = { status: 400, error: e.message, errorSource: 'downstream' };
      }
    })
  );
  sendJSON(res, failed ? 400 : 200, { results });
}

async function promFrames(q, fromMs, toMs) {
  const instant = q.instant && !q.range;
  const step = Math.max((q.intervalMs || 15000) / 1000, (toMs - fromMs) / 1000 / 11000, 1);
  // Grafana's Prometheus fills these in on the server: $__rate_interval is max($__interval + the scrape interval,
  // 4 x the scrape interval), the scrape interval the data source's (Grafana's default 15s here).
  const scrape = 15;
  const vars = {
    __rate_interval: `${Math.max(step + scrape, 4 * scrape)}s`,
    __interval: `${step}s`,
    __interval_ms: String(step * 1000),
    __range: `${Math.round((toMs - fromMs) / 1000)}s`,
  };
  const expr = (q.expr ?? '').replace(/\$\{?(__\w+)\}?/g, (m, name) => vars[name] ?? m);
  const params = new URLSearchParams({ query: expr });
  if (instant) {
    params.set('time', String(toMs / 1000));
  } else {
    params.set('start', String(Math.floor(fromMs / 1000 / step) * step));
    params.set('end', String(Math.floor(toMs / 1000 / step) * step));
    params.set('step', String(step));
  }
  const r = await fetch(`${opt.prometheus}/api/v1/${instant ? 'query' : 'query_range'}`, {
    method: 'POST',
    body: params,
  });
  const answer = await r.json();
  if (answer.status !== 'success') {
    throw new Error(answer.error ?? `Prometheus answered ${r.status}`);
  }
  const series = answer.data.result.map((s) => ({ metric: s.metric, points: s.values ?? [s.value] }));
  return series.map(({ metric, points }) => {
    const legend =
      q.legendFormat && q.legendFormat !== '__auto'
        ? q.legendFormat.replace(/\{\{\s*(.+?)\s*\}\}/g, (_, l) => metric[l] ?? '')
        : undefined;
    const value = (v) => (Number.isFinite(Number(v)) ? Number(v) : null);
    return {
      schema: {
        refId: q.refId,
        meta: {
          type: instant ? 'numeric-multi' : 'timeseries-multi',
          typeVersion: [0, 1],
          executedQueryString: `Expr: ${expr}\nStep: ${step}s`,
        },
        fields: [
          { name: 'Time', type: 'time', typeInfo: { frame: 'time.Time' }, config: { interval: step * 1000 } },
          {
            name: 'Value',
            type: 'number',
            typeInfo: { frame: 'float64', nullable: true },
            labels: metric,
            config: legend ? { displayNameFromDS: legend } : {},
          },
        ],
      },
      data: { values: [points.map(([t]) => Math.round(t * 1000)), points.map(([, v]) => value(v))] },
    };
  });
}

// TEST DOUBLE of the ClickHouse data source's backend (grafana-clickhouse-datasource v4, Go code that Grafana runs):
// expands its macros in the SQL the frontend sent (template variables are the frontend's, host/clickhouse.ts), runs
// it on ClickHouse's HTTP interface and answers one data frame: as the columns are for format 1 (table), turned from
// long to wide for format 0 (time series: the first DateTime column is the time, String columns label the numeric
// ones), as the data source does. Field types from ClickHouse's: DateTime -> time, numbers -> number, the rest string.
// Macro forms are those pkg/dashboards/macros.go documents (and its tests compare with ClickHouse); an unknown macro
// is an error, as there.
async function clickhouseFrames(q, fromMs, toMs) {
  const sql = expandMacros(q.rawSql ?? '', fromMs, toMs, q.intervalMs || 1000);
  // Read-only, as the data source's user should be.
  const r = await fetch(`${opt.clickhouse}/?readonly=1`, {
    method: 'POST',
    body: `${sql.trim().replace(/;$/, '')}\nFORMAT JSONCompact`,
  });
  const text = await r.text();
  if (!r.ok) {
    throw new Error(text.trim());
  }
  const { meta, data } = JSON.parse(text);
  const kind = (t) => {
    const base = t
      .replace(/^(Nullable|LowCardinality)\((.*)\)$/, '$2')
      .replace(/^(Nullable|LowCardinality)\((.*)\)$/, '$2');
    return /^DateTime/.test(base) ? 'time' : /^(U?Int|Float|Decimal)/.test(base) ? 'number' : 'string';
  };
  const fields = meta.map((m, i) => ({ name: m.name, type: kind(m.type), values: data.map((row) => row[i]) }));
  for (const f of fields) {
    f.values = f.values.map((v) =>
      v === null ? null : f.type === 'time' ? chTime(v) : f.type === 'number' ? Number(v) : String(v)
    );
  }
  const out = q.format === 0 ? longToWide(fields) : fields;
  return [
    {
      schema: {
        refId: q.refId,
        meta: { executedQueryString: sql, preferredVisualisationType: q.format === 0 ? 'graph' : 'table' },
        fields: out.map(({ values, ...f }) => f),
      },
      data: { values: out.map((f) => f.values) },
    },
  ];
}

// ClickHouse's JSON writes DateTime in the server's time zone; the stack's ClickHouse runs in UTC.
function chTime(v) {
  const t = Date.parse(String(v).replace(' ', 'T') + 'Z');
  if (Number.isNaN(t)) {
    throw new Error(`${v}: not a DateTime`);
  }
  return t;
}

// One time field and, per numeric column and set of String column values, a number field with those labels (in the
// order the rows first show them).
function longToWide(fields) {
  const time = fields.find((f) => f.type === 'time');
  if (!time) {
    throw new Error('a time series query needs a DateTime column');
  }
  const labels = fields.filter((f) => f.type === 'string');
  const times = [...new Set(time.values)].sort((a, b) => a - b);
  const at = new Map(times.map((t, i) => [t, i]));
  const series = new Map();
  for (const f of fields.filter((f) => f.type === 'number')) {
    time.values.forEach((t, row) => {
      const l = Object.fromEntries(labels.map((c) => [c.name, c.values[row]]));
      const key = f.name + JSON.stringify(l);
      if (!series.has(key)) {
        series.set(key, { name: f.name, type: 'number', labels: l, values: times.map(() => null) });
      }
      series.get(key).values[at.get(t)] = f.values[row];
    });
  }
  return [{ name: time.name, type: 'time', values: times }, ...series.values()];
}

// The ClickHouse data source's backend macros (see pkg/dashboards/macros.go, which this mirrors).
function expandMacros(sql, fromMs, toMs, intervalMs) {
  const sec = (ms) => `toDateTime(${Math.floor(ms / 1000)})`;
  const milli = (ms) => `fromUnixTimestamp64Milli(${ms})`;
  const intervalS = Math.max(Math.floor(intervalMs / 1000), 1);
  const macros = {
    fromTime: [0, () => sec(fromMs)],
    toTime: [0, () => sec(toMs)],
    fromTime_ms: [0, () => milli(fromMs)],
    toTime_ms: [0, () => milli(toMs)],
    interval_s: [0, () => String(intervalS)],
    timeFilter: [1, (c) => `${c} >= ${sec(fromMs)} AND ${c} <= ${sec(toMs)}`],
    timeFilter_ms: [1, (c) => `${c} >= ${milli(fromMs)} AND ${c} <= ${milli(toMs)}`],
    timeInterval: [1, (c) => `toStartOfInterval(toDateTime(${c}), INTERVAL ${intervalS} second)`],
  };
  let out = '';
  for (let m; (m = /\$__(\w+)/.exec(sql));) {
    const [arity, expand] = Object.hasOwn(macros, m[1]) ? macros[m[1]] : [];
    if (!expand) {
      throw new Error(`$__${m[1]}: not a macro of the ClickHouse data source`);
    }
    let end = m.index + m[0].length;
    let args = [];
    if (sql[end] === '(') {
      ({ args, end } = macroArgs(sql, end));
    }
    if (args.length !== arity) {
      throw new Error(`$__${m[1]}: want ${arity} argument(s), got ${args.length}`);
    }
    out += sql.slice(0, m.index) + expand(...args);
    sql = sql.slice(end);
  }
  return out + sql;
}

// GET /api/dashboards/uid/<uid>: the committed dashboard of that uid, as Grafana answers ({dashboard, meta}).
async function dashboard(res, uid) {
  const dir = path.join(root, 'dashboards');
  for (const name of await readdir(dir)) {
    const d = name.endsWith('.json') && JSON.parse(await readFile(path.join(dir, name), 'utf8'));
    if (d && d.uid === uid) {
      return sendJSON(res, 200, { dashboard: d, meta: { slug: name.slice(0, -5), canEdit: false } });
    }
  }
  sendJSON(res, 404, { message: 'Dashboard not found' });
}

async function route(req, res) {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname;
  const user = userOf(req);
  if (p === '/api/health') {
    return sendJSON(res, 200, { database: 'ok', version: GRAFANA_VERSION });
  }
  if (p.startsWith('/api/') && !user) {
    return sendJSON(res, 401, { message: 'Unauthorized' });
  }
  const asUser = user && { 'X-Grafana-User': user.login, 'X-Grafana-Role': user.role };
  const pluginRoute = p.match(/^\/api\/plugins\/([^/]+)\/(resources(?:\/.*)?|health|settings)$/);
  if (pluginRoute) {
    if (pluginRoute[1] === pluginId && pluginRoute[2] === 'settings' && req.method === 'GET') {
      return settings(req, res, user);
    }
    return forward(req, res, new URL(req.url, opt.grafana), asUser);
  }
  if (p === '/api/ds/query' && req.method === 'POST') {
    return dsQuery(req, res);
  }
  const dashboardUid = p.match(/^\/api\/dashboards\/uid\/([\w-]+)$/)?.[1];
  if (dashboardUid && req.method === 'GET') {
    return dashboard(res, dashboardUid);
  }
  const dsForward = p.match(/^\/api\/datasources\/(?:uid\/([^/]+)\/resources|proxy\/uid\/([^/]+))(\/.*)$/);
  const dsUid = dsForward ? (dsForward[1] ?? dsForward[2]) : p.match(/^\/api\/datasources\/uid\/([^/]+)$/)?.[1];
  if (dsUid && (dsUid !== PROMETHEUS_UID || !prometheus)) {
    return sendJSON(res, 404, { message: 'Data source not found' });
  }
  if (dsForward) {
    return forward(req, res, new URL(dsForward[3].slice(1) + url.search, opt.prometheus + '/'), {});
  }
  if (dsUid) {
    return sendJSON(res, 200, prometheus);
  }
  if (p === '/api/datasources') {
    return sendJSON(res, 200, prometheus ? [prometheus] : []);
  }
  if (p.startsWith('/api/')) {
    return sendJSON(res, 404, { message: 'Not found' });
  }
  if (bundle.has(p)) {
    const ext = path.extname(p);
    return send(res, 200, TYPES[ext] ?? 'application/octet-stream', bundle.get(p));
  }
  if (p.startsWith(`/${pluginBase}/`)) {
    return file(res, path.resolve(opt.dist), p.slice(pluginBase.length + 2));
  }
  // Grafana's own assets: the icons @grafana/ui ships (a subset of Grafana's) and its fonts, from npm packages.
  if (p.startsWith('/public/build/img/icons/')) {
    return file(
      res,
      path.join(root, 'node_modules/@grafana/ui/dist/public/img/icons'),
      p.slice('/public/build/img/icons/'.length)
    );
  }
  if (p.startsWith('/public/fonts/inter/')) {
    return file(res, path.join(root, 'node_modules/inter-ui/web'), p.slice('/public/fonts/inter/'.length));
  }
  if (p.startsWith('/public/fonts/roboto/')) {
    return file(
      res,
      path.join(root, 'node_modules/@fontsource/roboto-mono/files'),
      'roboto-mono-latin-400-normal.woff2'
    );
  }
  if (p.startsWith('/public/') || p.startsWith('/host/')) {
    return sendJSON(res, 404, { message: 'Not found' });
  }
  if (p === '/') {
    const start = (await pluginJson()).includes?.find((i) => i.defaultNav)?.path ?? `/a/${pluginId}`;
    res.writeHead(302, { Location: start });
    return res.end();
  }
  return page(req, res);
}

const server = http.createServer((req, res) => {
  route(req, res).catch((e) => {
    console.error(`server: ${req.method} ${req.url}: ${e.stack ?? e}`);
    if (!res.headersSent) {
      sendJSON(res, 500, { message: String(e.message ?? e) });
    }
  });
});
const [host, port] = opt.listen.split(/:(?=\d+$)/);
server.listen(Number(port), host, () => {
  console.log(
    `server: the Grafana stand-in for ${pluginId} listens on http://${opt.listen}/ (grafanahost ${opt.grafana})`
  );
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => server.close(() => process.exit(0)).closeAllConnections());
}
