// The incident's key moments, which the metric panel draws as annotations, and the panel's time range. Kept apart
// from scenes.ts so that the incident page does not load @grafana/scenes before a metric is shown.
import type { IncidentDetail, TimelineEvent } from '../../api/types';

export interface Moment {
  at: number; // Unix ms
  title: string;
  color: string;
}

const MOMENT_KINDS: Record<string, { title: string; color: string }> = {
  declared: { title: 'Declared', color: 'red' },
  acknowledged: { title: 'Acknowledged', color: 'orange' },
  containment_started: { title: 'Containment started', color: 'purple' },
  containment_succeeded: { title: 'Containment succeeded', color: 'green' },
  containment_failed: { title: 'Containment failed', color: 'red' },
  contained: { title: 'Contained', color: 'purple' },
  resolved: { title: 'Resolved', color: 'green' },
  reopened: { title: 'Reopened', color: 'red' },
};

// keyMoments picks the timeline events a responder lines the metric up with.
export function keyMoments(events: TimelineEvent[]): Moment[] {
  return events
    .filter((e) => MOMENT_KINDS[e.kind])
    .map((e) => ({ at: Date.parse(e.kind === 'declared' ? e.recorded_at : e.at), ...MOMENT_KINDS[e.kind] }));
}

const MARGIN = 15 * 60000;

// panelRange runs from 15 minutes before the harm started (or the declaration) to 15 minutes after the resolution,
// or to now while unresolved; never into the future, and at least 30 minutes long, the extra taken before the start
// (a young incident shows the metric's last half hour, not an empty future).
export function panelRange(detail: IncidentDetail, now: number): { from: number; to: number } {
  const inc = detail.incident;
  const start = Date.parse(inc.started_at || inc.declared_at);
  const to = inc.resolved_at ? Math.min(Date.parse(inc.resolved_at) + MARGIN, now) : now;
  return { from: Math.min(start - MARGIN, to - 2 * MARGIN), to };
}
