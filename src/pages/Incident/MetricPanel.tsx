import React, { useMemo, useState } from 'react';
import type { IncidentDetail } from '../../api/types';
import { testIds } from '../../components/testIds';
import { metricScene, Moment } from './scenes';

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
