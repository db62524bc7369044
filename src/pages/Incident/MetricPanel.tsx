import React, { useMemo, useState } from 'react';
import { initPluginTranslations } from '@grafana/i18n';
import pluginJson from '../../plugin.json';
import type { IncidentDetail } from '../../api/types';
import { testIds } from '../../components/testIds';
import type { Moment } from './moments';
import { metricScene } from './scenes';

// @grafana/scenes, bundled with this chunk, translates its texts through the plugin's own @grafana/i18n: without this
// it warns "t() called before i18n was initialized" and shows its keys. Here, not in module.tsx, so that only the
// pages with a metric load i18n; not awaited: the panel renders in English meanwhile.
void initPluginTranslations(pluginJson.id);

interface Props {
  expr: string;
  title: string;
  uid: string;
  detail: IncidentDetail;
  moments: Moment[];
}

function MetricPanel({ expr, title, uid, detail, moments }: Props) {
  const [openedAt] = useState(() => Date.now());
  const scene = useMemo(
    () => metricScene(expr, title, uid, detail, moments, openedAt),
    [expr, title, uid, detail, moments, openedAt]
  );
  return (
    <div data-testid={testIds.incident.metricPanel}>
      <scene.Component model={scene} />
    </div>
  );
}

export default MetricPanel;
