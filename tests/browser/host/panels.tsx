// Panels for scenes' VizPanel. Grafana's core panels and its field-option editors are not on npm: the stand-in draws
// the time series panel with @grafana/ui's TimeSeries, the stat panel with its BigValue and the table panel with its
// Table (their main options only), and registers the standard field options (unit, min, max, color, thresholds, ...)
// with their processors and Grafana's defaults, without editors.
import React from 'react';
import {
  dataLinksOverrideProcessor,
  displayNameOverrideProcessor,
  FieldColorModeId,
  FieldConfigProperty,
  FieldConfigPropertyItem,
  FieldDisplay,
  getFieldDisplayValues,
  GrafanaTheme2,
  identityOverrideProcessor,
  numberOverrideProcessor,
  PanelPlugin,
  PanelPluginMeta,
  PanelProps,
  PluginType,
  ReduceDataOptions,
  standardFieldConfigEditorRegistry,
  stringOverrideProcessor,
  thresholdsOverrideProcessor,
  ThresholdsMode,
  valueMappingsOverrideProcessor,
} from '@grafana/data';
import {
  BigValueColorMode,
  BigValueGraphMode,
  BigValueJustifyMode,
  BigValueTextMode,
  LegendDisplayMode,
  VizOrientation,
} from '@grafana/schema';
import { BigValue, Table, TimeSeries, UPlotConfigBuilder, useTheme2, VizRepeater } from '@grafana/ui';

const noEditor = () => null;

function option(
  id: string,
  process: FieldConfigPropertyItem['process'],
  defaultValue?: unknown,
  settings?: Record<string, unknown>
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
    settings,
  };
}

export function registerStandardFieldOptions() {
  standardFieldConfigEditorRegistry.setInit(() => [
    // As in Grafana, a display name may use ${__field.labels.x} and the like.
    option(FieldConfigProperty.DisplayName, displayNameOverrideProcessor, undefined, { expandTemplateVars: true }),
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
  const theme = useTheme2();
  if (!data.series.length) {
    return <div>No data</div>;
  }
  // Grafana's core panel draws the annotations on the graph with its AnnotationsPlugin (not on npm): the stand-in
  // draws a dashed line at each one's time and lists them under the graph, so a story can see which reached the panel.
  const notes = (data.annotations ?? []).flatMap((frame) => {
    const field = (...names: string[]) => frame.fields.find((f) => names.includes(f.name));
    const [time, timeEnd, title, color] = [field('time'), field('timeEnd'), field('title', 'text'), field('color')];
    return time && title
      ? time.values.map((t, i) => ({
          t: Number(t),
          end: Number(timeEnd?.values[i] ?? t),
          title: String(title.values[i]),
          color: color?.values[i],
        }))
      : [];
  });
  const graphHeight = notes.length ? Math.max(height - 24, 50) : height;
  return (
    <div>
      <TimeSeries
        key={notes.length} // a new plot when the annotations arrive: uPlot takes its draw hooks when made
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
      >
        {(config) => drawAnnotations(config, notes, theme)}
      </TimeSeries>
      {notes.length > 0 && (
        <ul
          aria-label="Annotations"
          title={notes.map((n) => n.title).join('\n')}
          style={{
            display: 'flex',
            flexWrap: 'wrap',
            columnGap: 12,
            margin: 0,
            padding: 0,
            listStyle: 'none',
            fontSize: 12,
          }}
        >
          {notes.map((n) => (
            <li key={`${n.t}-${n.title}`} style={{ whiteSpace: 'nowrap' }}>
              {n.title} {new Date(n.t).toISOString().slice(11, 19)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

interface Note {
  t: number;
  end: number;
  title: string;
  color?: unknown;
}

const hooked = new WeakSet<UPlotConfigBuilder>();

// A dashed vertical line at each annotation's time and, for one with an end, a band along the plot's foot from its
// start to its end (as Grafana marks regions under the graph), drawn on the plot's canvas after the series.
function drawAnnotations(config: UPlotConfigBuilder, notes: Note[], theme: GrafanaTheme2): null {
  if (notes.length === 0 || hooked.has(config)) {
    return null;
  }
  hooked.add(config);
  config.addHook('draw', (u) => {
    const { ctx, bbox } = u;
    const [left, right] = [bbox.left, bbox.left + bbox.width];
    const color = (n: Note) => theme.visualization.getColorByName(typeof n.color === 'string' ? n.color : 'red');
    ctx.save();
    ctx.lineWidth = 1;
    ctx.setLineDash([4, 4]);
    const spans: Array<[number, number, string]> = [];
    for (const n of notes) {
      const [x0, x1] = [u.valToPos(n.t, 'x', true), u.valToPos(n.end, 'x', true)];
      if (x0 >= left && x0 <= right) {
        ctx.strokeStyle = color(n);
        ctx.beginPath();
        ctx.moveTo(x0, bbox.top);
        ctx.lineTo(x0, bbox.top + bbox.height);
        ctx.stroke();
      }
      if (n.end > n.t && x1 >= left && x0 <= right) {
        spans.push([Math.max(x0, left), Math.min(x1, right), color(n)]);
      }
    }
    // Overlapping regions are drawn as their union, so that many open incidents do not pile up into one solid bar.
    spans.sort((a, b) => a[0] - b[0]);
    const band = 3 * (window.devicePixelRatio || 1);
    ctx.globalAlpha = 0.6;
    for (let i = 0, end = -Infinity; i < spans.length; i++) {
      const [x0, x1, c] = spans[i];
      if (x1 > end) {
        ctx.fillStyle = c;
        ctx.fillRect(Math.max(x0, end), bbox.top + bbox.height - band, x1 - Math.max(x0, end), band);
        end = x1;
      }
    }
    ctx.restore();
  });
  return null;
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
  return withMeta(plugin, 'timeseries', 'Time series', '@grafana/ui TimeSeries');
}

interface StatOptions {
  reduceOptions: ReduceDataOptions;
  colorMode?: BigValueColorMode;
  graphMode?: BigValueGraphMode;
  justifyMode?: BigValueJustifyMode;
  textMode?: BigValueTextMode;
  orientation?: VizOrientation;
}

// Grafana's stat panel without sparklines and percent change: one BigValue per value, side by side.
function StatPanel({ data, width, height, options, fieldConfig, replaceVariables, timeZone }: PanelProps<StatOptions>) {
  const theme = useTheme2();
  const values = getFieldDisplayValues({
    fieldConfig,
    reduceOptions: options.reduceOptions ?? { calcs: ['lastNotNull'] },
    replaceVariables,
    theme,
    data: data.series,
    timeZone,
  });
  return (
    <VizRepeater<FieldDisplay>
      source={data}
      renderCounter={0}
      getValues={() => values}
      width={width}
      height={height}
      itemSpacing={3}
      orientation={options.orientation ?? VizOrientation.Auto}
      renderValue={({ value, width, height }) => (
        <BigValue
          value={value.display}
          width={width}
          height={height}
          theme={theme}
          colorMode={options.colorMode ?? BigValueColorMode.Value}
          graphMode={BigValueGraphMode.None}
          justifyMode={options.justifyMode ?? BigValueJustifyMode.Auto}
          textMode={options.textMode ?? BigValueTextMode.Auto}
        />
      )}
    />
  );
}

// Grafana's table panel, reduced to one frame (options.frameIndex), with its header and row height.
function TablePanel({ data, width, height, options }: PanelProps<{ frameIndex?: number; showHeader?: boolean }>) {
  const frame = data.series[options.frameIndex ?? 0];
  if (!frame || frame.length === 0) {
    return <div>No data</div>;
  }
  return <Table data={frame} width={width} height={height} noHeader={options.showHeader === false} />;
}

// Grafana's table panel's custom field options (cell alignment, inspect), with their defaults.
function tablePlugin(): PanelPlugin {
  const plugin = new PanelPlugin(TablePanel).useFieldConfig({
    useCustomConfig: (builder) => {
      builder.addCustomEditor({ ...option('align', identityOverrideProcessor, 'auto'), editor: noEditor });
      builder.addCustomEditor({ ...option('inspect', identityOverrideProcessor, false), editor: noEditor });
    },
  });
  return withMeta(plugin, 'table', 'Table', '@grafana/ui Table');
}

function withMeta(plugin: PanelPlugin, id: string, name: string, description: string): PanelPlugin {
  plugin.meta = {
    id,
    name,
    type: PluginType.panel,
    module: `core:plugin/${id}`,
    baseUrl: '',
    sort: 0,
    info: {
      author: { name: 'Grafana stand-in' },
      description,
      links: [],
      logos: { small: '', large: '' },
      screenshots: [],
      updated: '',
      version: '',
    },
  } as PanelPluginMeta;
  return plugin;
}

const panels: Record<string, () => PanelPlugin> = {
  timeseries: timeSeriesPlugin,
  stat: () => withMeta(new PanelPlugin(StatPanel), 'stat', 'Stat', '@grafana/ui BigValue'),
  table: tablePlugin,
};

// The panel types the stand-in draws.
export const panelTypes = () => Object.keys(panels);
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
