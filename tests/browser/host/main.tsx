// The stand-in for Grafana's frontend: loads the plugin's shipped dist/module.js with SystemJS as Grafana does, after
// giving it what Grafana gives a plugin (shared modules, boot data, @grafana/runtime's services, a router), and renders
// the app's pages and config page in a small chrome (chrome.tsx), and, its own page, the dashboards in dashboards/
// drawn with scenes (dashboards.tsx). The server (../server.mjs) renders the boot data.
import * as emotionCss from '@emotion/css';
import * as emotionReact from '@emotion/react';
import * as grafanaData from '@grafana/data';
import * as grafanaRuntime from '@grafana/runtime';
import * as grafanaUi from '@grafana/ui';
import * as i18next from 'i18next';
import * as lodash from 'lodash';
import * as React from 'react';
import * as ReactDOM from 'react-dom';
import * as reactRouter from 'react-router';
import * as jsxRuntime from 'react/jsx-runtime';
import * as rxjs from 'rxjs';
import { createRoot } from 'react-dom/client';
import { AppPlugin, AppPluginMeta, EventBusSrv, PluginContextProvider, ThemeContext } from '@grafana/data';
import {
  config,
  getBackendSrv,
  locationService,
  setAppEvents,
  setBackendSrv,
  setDataSourceSrv,
  setPluginImportUtils,
  setRunRequest,
  setTemplateSrv,
} from '@grafana/runtime';
import { Alert, ErrorBoundaryAlert, GlobalStyles, LoadingPlaceholder, PortalContainer } from '@grafana/ui';
import { setPluginPage } from 'grafana-runtime-internal/PluginPage';
import { Chrome, hostUser, StandInPluginPage } from './chrome';
import { DashboardViewer } from './dashboards';
import { pluginImportUtils, registerStandardFieldOptions } from './panels';
import { backendSrv, dataSourceSrv, runRequest, templateSrv } from './services';

const { Route, Router, Routes, useLocation, useParams } = reactRouter;

setBackendSrv(backendSrv);
setAppEvents(new EventBusSrv());
setDataSourceSrv(dataSourceSrv(Object.values(config.datasources)));
setTemplateSrv(templateSrv);
setRunRequest(runRequest);
setPluginImportUtils(pluginImportUtils);
registerStandardFieldOptions();
setPluginPage(StandInPluginPage);

// Grafana's shared modules (public/app/features/plugins/loader/sharedDependencies.ts), registered as "package:<name>"
// with an import map; dist/module.js names those it uses in its define([...]). After the setters above: System.set
// copies a module's exports, so @grafana/runtime's PluginPage must be the stand-in's by then.
const shared: Record<string, unknown> = {
  '@emotion/css': emotionCss,
  '@emotion/react': emotionReact,
  '@grafana/data': grafanaData,
  '@grafana/runtime': grafanaRuntime,
  '@grafana/ui': grafanaUi,
  i18next,
  lodash,
  react: React,
  'react-dom': ReactDOM,
  'react-router': reactRouter,
  'react/jsx-runtime': jsxRuntime,
  rxjs,
};
const imports: Record<string, string> = {};
for (const [name, mod] of Object.entries(shared)) {
  System.set(`package:${name}`, mod as System.Module);
  imports[name] = `package:${name}`;
}
System.addImportMap({ imports });

async function loadPlugin(pluginId: string): Promise<AppPlugin> {
  const meta = await getBackendSrv().get<AppPluginMeta>(`/api/plugins/${pluginId}/settings`, undefined, undefined, {
    showErrorAlert: false,
  });
  const exports = await System.import(`/${meta.module}`);
  const plugin: AppPlugin = exports.plugin ?? new AppPlugin();
  plugin.init(meta);
  plugin.meta = meta;
  return plugin;
}

type Loaded = { plugin?: AppPlugin; error?: string };

function usePlugin(pluginId: string): Loaded {
  const [loaded, setLoaded] = React.useState<Loaded>({});
  React.useEffect(() => {
    if (!hostUser().isSignedIn) {
      return; // Grafana shows nothing of an app to a visitor who is not signed in.
    }
    loadPlugin(pluginId).then(
      (plugin) => setLoaded({ plugin }),
      (e) => setLoaded({ error: e?.data?.message ?? String(e) })
    );
  }, [pluginId]);
  return loaded;
}

function PluginRoute({ children }: { children: (plugin: AppPlugin) => React.ReactNode }) {
  const { pluginId = '' } = useParams();
  const { pathname } = useLocation();
  const { plugin, error } = usePlugin(pluginId);
  let body: React.ReactNode;
  if (error) {
    body = (
      <Alert severity="error" title={`Could not load the plugin ${pluginId}`}>
        {error}
      </Alert>
    );
  } else if (!plugin) {
    body = <LoadingPlaceholder text="Loading plugin..." />;
  } else {
    body = (
      <ErrorBoundaryAlert>
        <PluginContextProvider meta={plugin.meta}>{children(plugin)}</PluginContextProvider>
      </ErrorBoundaryAlert>
    );
  }
  return (
    <Chrome meta={plugin?.meta} pathname={pathname}>
      {body}
    </Chrome>
  );
}

function AppRoot() {
  const { pluginId = '' } = useParams();
  const location = useLocation();
  return (
    <PluginRoute>
      {(plugin) => {
        const Root = plugin.root;
        if (!Root) {
          return <Alert severity="error" title="This app has no root page" />;
        }
        const query = Object.fromEntries(new URLSearchParams(location.search));
        return (
          <Root
            meta={plugin.meta}
            basename={`/a/${pluginId}`}
            path={location.pathname}
            query={query}
            onNavChanged={() => {}}
          />
        );
      }}
    </PluginRoute>
  );
}

// Grafana's plugin details page, reduced to the app's config pages (Admins only, as in Grafana).
function PluginConfig() {
  const location = useLocation();
  return (
    <PluginRoute>
      {(plugin) => {
        if (hostUser().orgRole !== 'Admin') {
          return <Alert severity="info" title="Configuring a plugin takes the Admin role" />;
        }
        const query = Object.fromEntries(new URLSearchParams(location.search));
        return (plugin.configPages ?? []).map((page) => (
          <section key={page.id} aria-label={page.title}>
            <h2>{page.title}</h2>
            <page.body plugin={plugin} query={query} />
          </section>
        ));
      }}
    </PluginRoute>
  );
}

// The stand-in's own page (not Grafana's): a committed dashboard drawn with scenes (dashboards.tsx).
function DashboardRoute() {
  const { pathname } = useLocation();
  return (
    <Chrome pathname={pathname}>
      <ErrorBoundaryAlert>
        <DashboardViewer />
      </ErrorBoundaryAlert>
    </Chrome>
  );
}

// React Router v6 driven by Grafana's locationService (its history), as Grafana's own router is.
function LocationRouter({ children }: { children: React.ReactNode }) {
  const history = locationService.getHistory();
  const [location, setLocation] = React.useState(history.location);
  React.useLayoutEffect(() => history.listen((l: typeof location) => setLocation(l)), [history]);
  return (
    <Router location={location} navigator={history}>
      {children}
    </Router>
  );
}

function Host() {
  return (
    <ThemeContext.Provider value={config.theme2}>
      <GlobalStyles />
      <LocationRouter>
        <Routes>
          <Route path="/a/:pluginId/*" element={<AppRoot />} />
          <Route path="/plugins/:pluginId" element={<PluginConfig />} />
          <Route path="/dev/dashboards/:uid" element={<DashboardRoute />} />
          <Route path="*" element={<Alert severity="warning" title="The Grafana stand-in has no such page" />} />
        </Routes>
      </LocationRouter>
      <PortalContainer />
    </ThemeContext.Provider>
  );
}

createRoot(document.getElementById('reactRoot')!).render(<Host />);
