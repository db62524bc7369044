// Panels for scenes' VizPanel. Grafana's core panels and its field-option editors are not on npm: the stand-in draws
// the time series panel with @grafana/ui's TimeSeries and registers the standard field options (unit, min, max,
// color, thresholds, ...) with their processors and Grafana's defaults, without editors.
import React from 'react';
import {
  dataLinksOverrideProcessor,
  displayNameOverrideProcessor,
  FieldColorModeId,
  FieldConfigProperty,
  FieldConfigPropertyItem,
  identityOverrideProcessor,
  numberOverrideProcessor,
  PanelPlugin,
  PanelPluginMeta,
  PanelProps,
  PluginType,
  standardFieldConfigEditorRegistry,
  stringOverrideProcessor,
  thresholdsOverrideProcessor,
  ThresholdsMode,
  valueMappingsOverrideProcessor,
} from '@grafana/data';
import { LegendDisplayMode } from '@grafana/schema';
import { TimeSeries } from '@grafana/ui';

const noEditor = () => null;

function option(
  id: string,
  process: FieldConfigPropertyItem['process'],
  defaultValue?: unknown
): FieldConfigPropertyItem {
  return {
    id,
    path: id,
    name: id,
    editor: noEditor,
    override: noEditor,
    process,
    shouldApply: () => true,
    defaultValue,
  };
}

export function registerStandardFieldOptions() {
  standardFieldConfigEditorRegistry.setInit(() => [
    option(FieldConfigProperty.DisplayName, displayNameOverrideProcessor),
    option(FieldConfigProperty.Unit, stringOverrideProcessor),
    option(FieldConfigProperty.Min, numberOverrideProcessor),
    option(FieldConfigProperty.Max, numberOverrideProcessor),
    option(FieldConfigProperty.Decimals, numberOverrideProcessor),
    option(FieldConfigProperty.NoValue, stringOverrideProcessor),
    option(FieldConfigProperty.Color, identityOverrideProcessor, { mode: FieldColorModeId.PaletteClassic }),
    option(FieldConfigProperty.Thresholds, thresholdsOverrideProcessor, {
      mode: ThresholdsMode.Absolute,
      steps: [
        { value: -Infinity, color: 'green' },
        { value: 80, color: 'red' },
      ],
    }),
    option(FieldConfigProperty.Mappings, valueMappingsOverrideProcessor, []),
    option(FieldConfigProperty.Links, dataLinksOverrideProcessor, []),
  ]);
}

// The defaults of Grafana's time series panel for its custom field options.
const graphDefaults: Record<string, unknown> = {
  drawStyle: 'line',
  lineInterpolation: 'linear',
  lineWidth: 1,
  fillOpacity: 0,
  gradientMode: 'none',
  showPoints: 'auto',
  pointSize: 5,
  spanNulls: false,
  axisPlacement: 'auto',
  axisBorderShow: false,
  axisCenteredZero: false,
  barAlignment: 0,
  stacking: { mode: 'none', group: 'A' },
  thresholdsStyle: { mode: 'off' },
  hideFrom: { legend: false, tooltip: false, viz: false },
  scaleDistribution: { type: 'linear' },
};

function TimeSeriesPanel({
  data,
  width,
  height,
  timeRange,
  timeZone,
  options,
}: PanelProps<{ legend?: { showLegend?: boolean } }>) {
  if (!data.series.length) {
    return <div>No data</div>;
  }
  // Grafana's core panel draws the annotations on the graph (its AnnotationsPlugin is not on npm): the stand-in lists
  // them under it, so a story can see which moments reached the panel.
  const notes = (data.annotations ?? []).flatMap((frame) => {
    const time = frame.fields.find((f) => f.name === 'time');
    const title = frame.fields.find((f) => f.name === 'title' || f.name === 'text');
    return time && title ? time.values.map((t, i) => ({ t: Number(t), title: String(title.values[i]) })) : [];
  });
  const graphHeight = notes.length ? Math.max(height - 24, 50) : height;
  return (
    <div>
      <TimeSeries
        frames={data.series}
        width={width}
        height={graphHeight}
        timeRange={timeRange}
        timeZone={timeZone}
        legend={{
          displayMode: LegendDisplayMode.List,
          placement: 'bottom',
          showLegend: options?.legend?.showLegend ?? true,
          calcs: [],
        }}
      />
      {notes.length > 0 && (
        <ul
          aria-label="Annotations"
          style={{ display: 'flex', gap: 12, margin: 0, padding: 0, listStyle: 'none', fontSize: 12 }}
        >
          {notes.map((n) => (
            <li key={`${n.t}-${n.title}`}>
              {n.title} {new Date(n.t).toISOString().slice(11, 19)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function timeSeriesPlugin(): PanelPlugin {
  // Like Grafana's own time series panel, it takes annotations (scenes' VizPanel drops them for panels that do not).
  const plugin = new PanelPlugin(TimeSeriesPanel)
    .setDataSupport({ annotations: true, alertStates: false })
    .useFieldConfig({
      useCustomConfig: (builder) => {
        for (const [id, defaultValue] of Object.entries(graphDefaults)) {
          builder.addCustomEditor({ ...option(id, identityOverrideProcessor, defaultValue), editor: noEditor });
        }
      },
    });
  plugin.meta = {
    id: 'timeseries',
    name: 'Time series',
    type: PluginType.panel,
    module: 'core:plugin/timeseries',
    baseUrl: '',
    sort: 0,
    info: {
      author: { name: 'Grafana stand-in' },
      description: '@grafana/ui TimeSeries',
      links: [],
      logos: { small: '', large: '' },
      screenshots: [],
      updated: '',
      version: '',
    },
  } as PanelPluginMeta;
  return plugin;
}

const panels: Record<string, () => PanelPlugin> = { timeseries: timeSeriesPlugin };
const cache = new Map<string, PanelPlugin>();

export const pluginImportUtils = {
  getPanelPluginFromCache: (id: string) => cache.get(id),
  async importPanelPlugin(id: string) {
    const make = panels[id];
    if (!make) {
      throw new Error(`The Grafana stand-in has no "${id}" panel (it has: ${Object.keys(panels).join(', ')})`);
    }
    const plugin = cache.get(id) ?? make();
    cache.set(id, plugin);
    return plugin;
  },
};
