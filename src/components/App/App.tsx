import React from 'react';
import { Navigate, Route, Routes } from 'react-router-dom';
import { AppRootProps } from '@grafana/data';
import { ROUTES, prefixRoute } from '../../constants';

const Incidents = React.lazy(() => import('../../pages/Incidents/Incidents'));

function App(_props: AppRootProps) {
  return (
    <Routes>
      <Route path={ROUTES.Incidents} element={<Incidents />} />
      {/* Default page */}
      <Route path="*" element={<Navigate to={prefixRoute(ROUTES.Incidents)} replace />} />
    </Routes>
  );
}

export default App;
