import React from 'react';
import { render, screen } from '@testing-library/react';
import { getBackendSrv } from '@grafana/runtime';
import Incidents from './Incidents';
import { testIds } from '../../components/testIds';

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: jest.fn(),
}));

const getMock = jest.fn();

describe('pages/Incidents', () => {
  beforeEach(() => {
    jest.resetAllMocks();
    (getBackendSrv as jest.Mock).mockReturnValue({ get: getMock });
  });

  test('calls the backend ping resource and shows its answer', async () => {
    getMock.mockResolvedValue({ message: 'ok' });

    render(<Incidents />);

    expect(screen.getByTestId(testIds.incidents.container)).toBeInTheDocument();
    expect(await screen.findByText('ok')).toBeInTheDocument();
    expect(screen.getByTestId(testIds.incidents.backendStatus)).toHaveTextContent('Backend: ok');
    expect(getMock).toHaveBeenCalledTimes(1);
    expect(getMock).toHaveBeenCalledWith('/api/plugins/firebreak-incident-app/resources/ping', undefined, undefined, {
      showErrorAlert: false,
    });
  });

  test('shows an error when the backend does not answer', async () => {
    getMock.mockRejectedValue({ status: 502, data: { message: 'plugin unavailable' } });

    render(<Incidents />);

    expect(await screen.findByText('The Firebreak backend did not answer')).toBeInTheDocument();
    expect(screen.getByText('502: plugin unavailable')).toBeInTheDocument();
  });
});
