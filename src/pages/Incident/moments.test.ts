import type { IncidentDetail, TimelineEvent } from '../../api/types';
import { keyMoments, panelRange } from './moments';

const min = 60000;
const t0 = Date.parse('2026-12-07T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function detail(started: number, resolved?: number): IncidentDetail {
  return {
    incident: { started_at: iso(started), declared_at: iso(started + min), resolved_at: resolved ? iso(resolved) : '' },
  } as unknown as IncidentDetail;
}

test.each([
  // [what, started, resolved, now, from, to]
  [
    'young and unresolved: the last half hour, not the future',
    t0,
    undefined,
    t0 + 2 * min,
    t0 - 28 * min,
    t0 + 2 * min,
  ],
  [
    'unresolved for hours: 15 minutes before the start to now',
    t0,
    undefined,
    t0 + 180 * min,
    t0 - 15 * min,
    t0 + 180 * min,
  ],
  ['resolved long ago: 15 minutes either side', t0, t0 + 60 * min, t0 + 600 * min, t0 - 15 * min, t0 + 75 * min],
  ['resolved a minute ago: up to now', t0, t0 + 60 * min, t0 + 61 * min, t0 - 15 * min, t0 + 61 * min],
  ['resolved quickly: 15 minutes either side', t0, t0 + 2 * min, t0 + 600 * min, t0 - 15 * min, t0 + 17 * min],
])('panelRange: %s', (_, started, resolved, now, from, to) => {
  expect(panelRange(detail(started, resolved), now)).toEqual({ from, to });
});

test('panelRange takes the declaration when the harm has no start', () => {
  const d = detail(t0);
  d.incident.started_at = '';
  expect(panelRange(d, t0 + 120 * min)).toEqual({ from: t0 - 14 * min, to: t0 + 120 * min });
});

test('keyMoments keeps the moments a responder lines a metric up with, at the time they happened', () => {
  const ev = (kind: string, at: number, recorded = at) =>
    ({ kind, at: iso(at), recorded_at: iso(recorded) }) as unknown as TimelineEvent;
  expect(
    keyMoments([ev('declared', t0 - min, t0), ev('alert_fired', t0), ev('note_added', t0), ev('resolved', t0 + min)])
  ).toEqual([
    { at: t0, title: 'Declared', color: 'red' },
    { at: t0 + min, title: 'Resolved', color: 'green' },
  ]);
});
