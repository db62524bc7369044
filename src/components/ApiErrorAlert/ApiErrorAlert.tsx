import React from 'react';
import { Alert } from '@grafana/ui';
import { ApiError } from '../../api/client';

const TITLES: Record<number, string> = {
  400: 'The request was refused',
  401: 'Sign in first',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Someone else got there first',
  422: 'Refused',
  502: 'A backend service did not answer',
  503: 'Firebreak is not ready',
};

// ApiErrorAlert shows an error as the server worded it.
export function ApiErrorAlert({ error, title, onRemove }: { error: ApiError; title?: string; onRemove?: () => void }) {
  return (
    <Alert
      severity={error.status === 409 || error.status === 403 ? 'warning' : 'error'}
      title={title ?? TITLES[error.status] ?? 'Something went wrong'}
      onRemove={onRemove}
    >
      {error.message}
      {error.currentStatus ? ` (the incident is now ${error.currentStatus})` : ''}
    </Alert>
  );
}
