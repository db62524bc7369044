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

export function StatusBadge({ status, drill }: { status: Status; drill?: boolean }) {
  const look = LOOK[status] ?? { color: 'darkgrey', icon: 'question-circle' };
  return (
    <>
      <Badge text={STATUS_LABELS[status] ?? status} color={look.color} icon={look.icon} />
      {drill && (
        <span title="A tabletop exercise: kept out of statistics">
          <Badge text="Drill" color="brand" icon="book" />
        </span>
      )}
    </>
  );
}
