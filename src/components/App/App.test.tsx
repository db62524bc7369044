import { of } from 'rxjs';
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

// The backend as the pages see it: an empty incident list, a stats answer.
function answer(url: string) {
  if (url.endsWith('/incidents')) {
    return { incidents: [], next_cursor: '' };
  }
  return {};
}

describe('Components/App', () => {
  beforeEach(() => {
    jest.resetAllMocks();
    (getBackendSrv as jest.Mock).mockReturnValue({
      fetch: jest.fn((req: { url: string }) => of({ data: answer(req.url), status: 200 })),
    });
  });

  test('renders the queue at /incidents, with its empty state', async () => {
    renderAt('/a/firebreak-incident-app/incidents');

    expect(await screen.findByTestId(testIds.incidents.container)).toBeInTheDocument();
    expect(await screen.findByTestId(testIds.incidents.empty)).toHaveTextContent('webhook_configs');
  });

  test('renders the declare form at /declare', async () => {
    renderAt('/a/firebreak-incident-app/declare');

    expect(await screen.findByTestId(testIds.declare.form)).toBeInTheDocument();
  });

  test('sends any other path to the queue', async () => {
    renderAt('/a/firebreak-incident-app/unknown');

    expect(await screen.findByTestId(testIds.incidents.container)).toBeInTheDocument();
  });
});
