import React from 'react';
import { Badge } from '@grafana/ui';

// FlappingBadge marks an incident whose alerts keep firing and clearing: Firebreak holds it open (no automatic
// resolve and reopen with every flap) until its alerts are quiet. Nothing is shown otherwise. compact leaves the icon
// out, for lists.
export function FlappingBadge({ flapping, since, compact }: { flapping?: boolean; since?: string; compact?: boolean }) {
  if (!flapping) {
    return null;
  }
  const title =
    'Its alerts keep firing and clearing: it stays open, without resolving and reopening with every flap, until they are quiet' +
    (since ? ` (flapping since ${new Date(since).toISOString()})` : '');
  return (
    <span title={title}>
      <Badge text="Flapping" color="orange" icon={compact ? undefined : 'sync'} />
    </span>
  );
}
