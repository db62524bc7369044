import { lastValueFrom } from 'rxjs';
import { PluginMeta } from '@grafana/data';
import { getBackendSrv } from '@grafana/runtime';
import { RESOURCES_URL } from '../constants';

export interface PingResponse {
  message: string;
}

// Asks the plugin backend (GET /ping, pkg/plugin) whether it is up. Errors are
// left to the caller to show, so Grafana's global error toast is turned off.
export function ping(): Promise<PingResponse> {
  return getBackendSrv().get<PingResponse>(`${RESOURCES_URL}/ping`, undefined, undefined, {
    showErrorAlert: false,
  });
}

// Saves the app's settings (enabled/pinned, jsonData, secureJsonData) through
// Grafana's plugin settings API. Grafana re-creates the backend instance with
// the new settings.
export function savePluginSettings(pluginId: string, data: Partial<PluginMeta>): Promise<unknown> {
  return lastValueFrom(
    getBackendSrv().fetch({
      url: `/api/plugins/${pluginId}/settings`,
      method: 'POST',
      data,
      showErrorAlert: false,
    })
  );
}

// Turns what getBackendSrv rejects with (a FetchError: status, data.message) or
// an Error into a line to show.
export function errorMessage(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { data?: { message?: string }; statusText?: string; message?: string; status?: number };
    const text = e.data?.message || e.message || e.statusText;
    if (text) {
      return e.status ? `${e.status}: ${text}` : text;
    }
    if (e.status) {
      return `HTTP ${e.status}`;
    }
  }
  return String(err);
}
