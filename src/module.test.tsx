import { plugin } from './module';
import pluginJson from './plugin.json';

describe('module', () => {
  test('exports an app plugin with a root page and a configuration page', () => {
    expect(plugin.root).toBeDefined();
    expect(plugin.configPages?.map((p) => p.id)).toEqual(['configuration']);
  });

  test('plugin.json declares the backend and the Incidents page', () => {
    expect(pluginJson.id).toBe('firebreak-incident-app');
    expect(pluginJson.backend).toBe(true);
    expect(pluginJson.executable).toBe('gpx_incident');
    expect(pluginJson.includes.map((i) => i.path)).toContain('/a/%PLUGIN_ID%/incidents');
  });
});
