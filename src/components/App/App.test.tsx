import React, { Suspense } from 'react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { AppRootProps, PluginType } from '@grafana/data';
import { getBackendSrv } from '@grafana/runtime';
import { render, screen } from '@testing-library/react';
import App from './App';
import { testIds } from '../testIds';

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: jest.fn(),
}));

const props = {
  basename: '/a/firebreak-incident-app',
  meta: {
    id: 'firebreak-incident-app',
    name: 'Firebreak',
    type: PluginType.app,
    enabled: true,
    jsonData: {},
  },
  query: {},
  path: '',
  onNavChanged: jest.fn(),
} as unknown as AppRootProps;

// Mounts App the way Grafana does: under /a/<plugin id>/*.
function renderAt(path: string) {
  return render(
    <MemoryRouter initialEntries={[path]} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
      <Suspense fallback="loading">
        <Routes>
          <Route path="/a/firebreak-incident-app/*" element={<App {...props} />} />
        </Routes>
      </Suspense>
    </MemoryRouter>
  );
}

describe('Components/App', () => {
  beforeEach(() => {
    jest.resetAllMocks();
    (getBackendSrv as jest.Mock).mockReturnValue({ get: jest.fn().mockResolvedValue({ message: 'ok' }) });
  });

  test('renders the Incidents page at /incidents', async () => {
    renderAt('/a/firebreak-incident-app/incidents');

    expect(await screen.findByTestId(testIds.incidents.container)).toBeInTheDocument();
    expect(await screen.findByText('ok')).toBeInTheDocument();
  });

  test('sends any other path to the Incidents page', async () => {
    renderAt('/a/firebreak-incident-app/unknown');

    expect(await screen.findByTestId(testIds.incidents.container)).toBeInTheDocument();
  });
});
