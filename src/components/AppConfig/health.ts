import { lastValueFrom } from 'rxjs';
import { getBackendSrv } from '@grafana/runtime';
import { errorMessage } from '../../api/backend';

// What Grafana's GET /api/plugins/<id>/health answers with: the plugin's CheckHealth result. Grafana answers 200
// when the status is OK and 503 (same body) otherwise.
export interface HealthResult {
  status: string;
  message: string;
}

export async function checkHealth(pluginId: string): Promise<HealthResult> {
  try {
    const resp = await lastValueFrom(
      getBackendSrv().fetch<Partial<HealthResult>>({
        url: `/api/plugins/${pluginId}/health`,
        method: 'GET',
        showErrorAlert: false,
      })
    );
    return { status: resp.data?.status ?? 'OK', message: resp.data?.message ?? '' };
  } catch (e) {
    const data = (e as { data?: Partial<HealthResult> } | undefined)?.data;
    if (data?.status && data.message) {
      return { status: data.status, message: data.message };
    }
    return { status: 'ERROR', message: errorMessage(e) };
  }
}

const SAVED_KEY = 'firebreak-incident-app.config-saved';

// Notes that the settings were just saved, for the page reloaded after the save (sessionStorage: this tab only).
export function rememberSaved(pluginId: string): void {
  try {
    window.sessionStorage.setItem(SAVED_KEY, pluginId);
  } catch {
    // No sessionStorage: the page then only shows the health check.
  }
}

// Whether the settings were just saved (by rememberSaved).
export function wasSaved(pluginId: string): boolean {
  try {
    return window.sessionStorage.getItem(SAVED_KEY) === pluginId;
  } catch {
    return false;
  }
}

export function forgetSaved(): void {
  try {
    window.sessionStorage.removeItem(SAVED_KEY);
  } catch {
    // No sessionStorage: nothing was remembered.
  }
}
