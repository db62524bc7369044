import React from 'react';
import { Badge, BadgeColor } from '@grafana/ui';
import type { Severity } from '../../api/types';
import { SEVERITY_GUIDANCE } from '../../utils/format';

const COLORS: Record<Severity, BadgeColor> = { SEV1: 'red', SEV2: 'orange', SEV3: 'blue' };

export function SeverityBadge({ severity }: { severity: Severity }) {
  // A native title, not the Badge's Tooltip: the queue shows one per row.
  return (
    <span title={SEVERITY_GUIDANCE[severity]}>
      <Badge text={severity} color={COLORS[severity] ?? 'darkgrey'} />
    </span>
  );
}
