import React from 'react';
import { Navigate, Route, Routes } from 'react-router-dom';
import { AppRootProps } from '@grafana/data';
import { ROUTES, prefixRoute } from '../../constants';

const Incidents = React.lazy(() => import('../../pages/Incidents/Incidents'));
const Incident = React.lazy(() => import('../../pages/Incident/Incident'));
const Declare = React.lazy(() => import('../../pages/Declare/Declare'));
const Overview = React.lazy(() => import('../../pages/Overview/Overview'));
const Readiness = React.lazy(() => import('../../pages/Readiness/Readiness'));

function App(_props: AppRootProps) {
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
