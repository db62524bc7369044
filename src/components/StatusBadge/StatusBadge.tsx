import React from 'react';
import { Badge, BadgeColor, IconName } from '@grafana/ui';
import type { Status } from '../../api/types';
import { STATUS_LABELS } from '../../utils/format';

const LOOK: Record<Status, { color: BadgeColor; icon: IconName }> = {
  declared: { color: 'red', icon: 'fire' },
  acknowledged: { color: 'orange', icon: 'eye' },
  contained: { color: 'purple', icon: 'shield' },
  resolved: { color: 'green', icon: 'check' },
  closed: { color: 'darkgrey', icon: 'lock' },
};

// StatusBadge shows an incident's status (and whether it is a drill). compact leaves the icons out, for lists: each
// icon is an SVG parsed and laid out per row.
export function StatusBadge({ status, drill, compact }: { status: Status; drill?: boolean; compact?: boolean }) {
  const look = LOOK[status] ?? { color: 'darkgrey', icon: 'question-circle' };
  return (
    <>
      <Badge text={STATUS_LABELS[status] ?? status} color={look.color} icon={compact ? undefined : look.icon} />
      {drill && (
        <span title="A tabletop exercise: kept out of statistics">
          <Badge text="Drill" color="brand" icon={compact ? undefined : 'book'} />
        </span>
      )}
    </>
  );
}
