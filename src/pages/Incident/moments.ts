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

// panelRange is [start - 15 min, resolution + 15 min or now].
export function panelRange(detail: IncidentDetail, now: number): { from: number; to: number } {
  const inc = detail.incident;
  const start = Date.parse(inc.started_at || inc.declared_at);
  const end = inc.resolved_at ? Math.min(Date.parse(inc.resolved_at) + 15 * 60000, now) : now;
  return { from: start - 15 * 60000, to: Math.max(end, start + 15 * 60000) };
}
