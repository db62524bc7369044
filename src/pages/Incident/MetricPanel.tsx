import React, { useMemo, useState } from 'react';
import type { IncidentDetail } from '../../api/types';
import { testIds } from '../../components/testIds';
import { metricScene } from './scenes';

function MetricPanel({
  expr,
  title,
  uid,
  detail,
}: {
  expr: string;
  title: string;
  uid: string;
  detail: IncidentDetail;
}) {
  const [openedAt] = useState(() => Date.now());
  const scene = useMemo(() => metricScene(expr, title, uid, detail, openedAt), [expr, title, uid, detail, openedAt]);
  return (
    <div data-testid={testIds.incident.metricPanel}>
      <scene.Component model={scene} />
    </div>
  );
}

export default MetricPanel;
