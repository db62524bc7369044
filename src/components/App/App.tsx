import React, { useEffect } from 'react';
import { Navigate, Route, Routes } from 'react-router-dom';
import { AppRootProps } from '@grafana/data';
import { ROUTES, prefixRoute } from '../../constants';

const loadIncidents = () => import('../../pages/Incidents/Incidents');
const loadIncident = () => import('../../pages/Incident/Incident');
const Incidents = React.lazy(loadIncidents);
const Incident = React.lazy(loadIncident);
const Declare = React.lazy(() => import('../../pages/Declare/Declare'));
const Overview = React.lazy(() => import('../../pages/Overview/Overview'));
const Readiness = React.lazy(() => import('../../pages/Readiness/Readiness'));

// Once the app has shown its first page and the browser is idle, the code of the queue and the incident page, where
// people go next from any page, loads in the background: following a link then waits for data, not for code.
const PREFETCH_AFTER_MS = 500;
const whenIdle = (f: () => void): (() => void) => {
  if (typeof window.requestIdleCallback === 'function') {
    const id = window.requestIdleCallback(f, { timeout: 5000 });
    return () => window.cancelIdleCallback(id);
  }
  const t = setTimeout(f, PREFETCH_AFTER_MS);
  return () => clearTimeout(t);
};

function App(_props: AppRootProps) {
  useEffect(() => whenIdle(() => void Promise.all([loadIncidents(), loadIncident()]).catch(() => undefined)), []);
  return (
    <Routes>
      <Route path={ROUTES.Incidents} element={<Incidents />} />
      <Route path={`${ROUTES.Incident}/:id`} element={<Incident />} />
      <Route path={ROUTES.Declare} element={<Declare />} />
      <Route path={ROUTES.Overview} element={<Overview />} />
      <Route path={ROUTES.Readiness} element={<Readiness />} />
      {/* Default page */}
      <Route path="*" element={<Navigate to={prefixRoute(ROUTES.Incidents)} replace />} />
    </Routes>
  );
}

export default App;
