import { lastValueFrom } from 'rxjs';
import { PluginMeta } from '@grafana/data';
import { getBackendSrv } from '@grafana/runtime';
import { toApiError } from './client';

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

// Turns what getBackendSrv rejects with into a line to show ("502: plugin unavailable"), decoded as the API client
// decodes it (toApiError).
export function errorMessage(err: unknown): string {
  const e = toApiError(err);
  return e.status && e.message !== `HTTP ${e.status}` ? `${e.status}: ${e.message}` : e.message;
}
