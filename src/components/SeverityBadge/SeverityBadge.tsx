import React from 'react';
import { Badge, BadgeColor } from '@grafana/ui';
import type { Severity } from '../../api/types';
import { SEVERITY_GUIDANCE } from '../../utils/format';

const COLORS: Record<Severity, BadgeColor> = { SEV1: 'red', SEV2: 'orange', SEV3: 'blue' };

export function SeverityBadge({ severity }: { severity: Severity }) {
  return <Badge text={severity} color={COLORS[severity] ?? 'darkgrey'} tooltip={SEVERITY_GUIDANCE[severity]} />;
}
