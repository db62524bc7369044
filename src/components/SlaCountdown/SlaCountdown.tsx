import React from 'react';
import { Badge } from '@grafana/ui';
import type { Incident, SLAState } from '../../api/types';
import { formatDuration } from '../../utils/format';
import { formatTime } from '../TimeAgo/TimeAgo';
import { useNow } from '../TimeAgo/useNow';

// slaClock picks the clock that matters now: acknowledge until acknowledged, then contain until contained.
export function slaClock(
  inc: Pick<Incident, 'status' | 'acknowledged_at' | 'contained_at' | 'resolved_at' | 'closed_at'>,
  sla: SLAState
) {
  if (inc.status === 'resolved' || inc.status === 'closed' || inc.contained_at) {
    return undefined;
  }
  if (!inc.acknowledged_at && sla.acknowledge_due_at) {
    return { what: 'acknowledge', due: sla.acknowledge_due_at };
  }
  if (sla.contain_due_at) {
    return { what: 'contain', due: sla.contain_due_at };
  }
  return undefined;
}

// SlaCountdown shows the SLA clock that runs now, as a live countdown (it ticks by itself, so a list around it does
// not re-render every second), or how long ago it was breached. compact leaves the icon out, for lists.
export function SlaCountdown({ incident, sla, compact }: { incident: Incident; sla: SLAState; compact?: boolean }) {
  const now = useNow(1000);
  const clock = slaClock(incident, sla);
  if (!clock) {
    return <span aria-label="no SLA clock running">–</span>;
  }
  const left = (Date.parse(clock.due) - now) / 1000;
  const title = `${clock.what === 'acknowledge' ? 'Acknowledge' : 'Contain'} by ${formatTime(clock.due)}`;
  return (
    <span title={title}>
      {left < 0 ? (
        <Badge
          color="red"
          icon={compact ? undefined : 'exclamation-triangle'}
          text={`${clock.what} breached ${formatDuration(left)} ago`}
        />
      ) : (
        <Badge
          color={left < 600 ? 'orange' : 'blue'}
          icon={compact ? undefined : 'clock-nine'}
          text={`${clock.what} in ${formatDuration(left)}`}
        />
      )}
    </span>
  );
}
