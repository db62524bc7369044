// The triggering-metric panel: a time series of an alert's PromQL expression on the configured Prometheus data
// source, over the incident (panelRange), with the incident's key moments drawn as annotations.
import { ReplaySubject } from 'rxjs';
import { DataFrame, DataTopic, FieldType, PanelData, toDataFrame } from '@grafana/data';
import { LegendDisplayMode } from '@grafana/schema';
import {
  EmbeddedScene,
  PanelBuilders,
  SceneDataProvider,
  SceneDataProviderResult,
  SceneFlexItem,
  SceneFlexLayout,
  SceneObjectBase,
  SceneObjectState,
  SceneQueryRunner,
  SceneTimeRange,
} from '@grafana/scenes';
import type { IncidentDetail } from '../../api/types';
import { Moment, panelRange } from './moments';

interface MomentsState extends SceneObjectState {
  $data: SceneQueryRunner;
  moments: Moment[];
  data?: PanelData;
}

// WithMoments hands the panel its query's data with the incident's key moments added as annotations. (A scenes data
// layer would run only once its controls are rendered: a "Data layers" switch row above a panel that has one layer.)
class WithMoments extends SceneObjectBase<MomentsState> implements SceneDataProvider<MomentsState> {
  private results = new ReplaySubject<SceneDataProviderResult>(1);

  constructor(state: MomentsState) {
    super(state);
    this.addActivationHandler(() => {
      const sub = this.state.$data.subscribeToState((s) => this.update(s.data));
      this.update(this.state.$data.state.data);
      return () => sub.unsubscribe();
    });
  }

  private update(d?: PanelData) {
    if (!d) {
      return;
    }
    const data = { ...d, annotations: [...(d.annotations ?? []), momentsFrame(this.state.moments)] };
    this.setState({ data });
    this.results.next({ origin: this, data });
  }

  getResultsStream() {
    return this.results;
  }
  setContainerWidth(width: number) {
    this.state.$data.setContainerWidth(width);
  }
  isDataReadyToDisplay() {
    return this.state.$data.isDataReadyToDisplay();
  }
  cancelQuery() {
    this.state.$data.cancelQuery();
  }
}

// momentsFrame is the annotations frame of the moments, as Grafana's panels read annotations.
export function momentsFrame(moments: Moment[]): DataFrame {
  const frame = toDataFrame({
    name: 'incident',
    fields: [
      { name: 'time', type: FieldType.time, values: moments.map((m) => m.at) },
      { name: 'title', type: FieldType.string, values: moments.map((m) => m.title) },
      { name: 'text', type: FieldType.string, values: moments.map((m) => m.title) },
      { name: 'color', type: FieldType.string, values: moments.map((m) => m.color) },
    ],
  });
  frame.meta = { dataTopic: DataTopic.Annotations };
  return frame;
}

export function metricScene(
  expr: string,
  title: string,
  datasourceUid: string,
  detail: IncidentDetail,
  moments: Moment[],
  now: number
): EmbeddedScene {
  const range = panelRange(detail, now);
  const query = new SceneQueryRunner({
    datasource: { type: 'prometheus', uid: datasourceUid },
    queries: [{ refId: 'A', expr, range: true }],
  });
  return new EmbeddedScene({
    $timeRange: new SceneTimeRange({ from: new Date(range.from).toISOString(), to: new Date(range.to).toISOString() }),
    body: new SceneFlexLayout({
      direction: 'column',
      children: [
        new SceneFlexItem({
          minHeight: 280,
          body: PanelBuilders.timeseries()
            .setTitle(title)
            .setDescription(expr)
            // One expression, named in the title: no legend (Grafana's legend buttons fail axe's
            // label-content-name-mismatch).
            .setOption('legend', {
              showLegend: false,
              displayMode: LegendDisplayMode.List,
              placement: 'bottom',
              calcs: [],
            })
            .setData(new WithMoments({ $data: query, moments }))
            .build(),
        }),
      ],
    }),
  });
}
