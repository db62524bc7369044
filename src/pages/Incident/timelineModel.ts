// How the timeline groups and draws events (the groups are the API's timeline kinds).
import type { IconName } from '@grafana/ui';
import type { Alert, TimelineEvent, TimelineKind } from '../../api/types';

export type KindGroup = TimelineKind;
export const KIND_GROUPS: Array<{ id: KindGroup; label: string }> = [
  { id: 'alerts', label: 'Alerts' },
  { id: 'people', label: 'People' },
  { id: 'containment', label: 'Containment' },
  { id: 'system', label: 'Firebreak' },
];

export function groupOf(e: TimelineEvent): KindGroup {
  if (e.kind.startsWith('alert')) {
    return 'alerts';
  }
  if (e.kind.startsWith('containment_')) {
    return 'containment';
  }
  return e.actor.startsWith('user:') ? 'people' : 'system';
}

const ICONS: Record<string, IconName> = {
  declared: 'fire',
  alert_fired: 'bell',
  alert_resolved: 'bell-slash',
  alerts_truncated: 'exclamation-triangle',
  severity_changed: 'arrow-up',
  acknowledged: 'eye',
  contained: 'shield',
  resolved: 'check-circle',
  reopened: 'history-alt',
  closed: 'lock',
  note: 'comment-alt',
  role_assigned: 'user',
  review_updated: 'clipboard-alt',
  regulatory_flagged: 'document-info',
  regulatory_reported: 'envelope',
  report_drafted: 'file-alt',
  taxonomy_updated: 'tag-alt',
  containment_requested: 'shield-exclamation',
  containment_approved: 'thumbs-up',
  containment_rejected: 'times-circle',
  containment_started: 'play',
  containment_succeeded: 'check',
  containment_failed: 'times',
};

export function iconOf(kind: string): IconName {
  return ICONS[kind] ?? 'circle';
}

// alertOf returns the alert an alert event carries, if any.
export function alertOf(e: TimelineEvent): Alert | undefined {
  if (e.kind !== 'alert_fired' && e.kind !== 'alert_resolved') {
    return undefined;
  }
  const body = e.body as { alert?: Alert } | null;
  return body?.alert;
}

export function filterEvents(events: TimelineEvent[], groups: KindGroup[]): TimelineEvent[] {
  return groups.length === 0 ? events : events.filter((e) => groups.includes(groupOf(e)));
}
