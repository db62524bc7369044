import type { Incident } from '../../api/types';
import { nextTransitions, rolePermission, severityPermission, transitionPermission, User } from './permissions';

const inc = (over: Partial<Incident> = {}): Incident =>
  ({
    incident_id: 'i',
    title: 't',
    ai_system: 'supportbot',
    category: 'hallucination',
    severity: 'SEV2',
    status: 'acknowledged',
    declared_by: 'rule:X',
    declared_via: 'alertmanager',
    started_at: '',
    declared_at: '',
    alert_count: 1,
    firing_alert_count: 1,
    roles: { incident_lead: 'Alice' },
    review: null,
    regulatory: null,
    last_seq: 3,
    last_hash: '',
    updated_at: '',
    ...over,
  }) as Incident;

const alice: User = { login: 'alice', role: 'Editor' };
const bob: User = { login: 'bob', role: 'Editor' };
const vic: User = { login: 'vic', role: 'Viewer' };
const root: User = { login: 'root', role: 'Admin' };
const none: User = { login: 'nora', role: 'None' };

describe('transitionPermission', () => {
  test.each([
    [
      'viewer may not acknowledge',
      vic,
      inc({ status: 'declared' }),
      'acknowledge' as const,
      [],
      false,
      'viewers can read',
    ],
    ['role None may not', none, inc({ status: 'declared' }), 'acknowledge' as const, [], false, 'viewers can read'],
    ['editor acknowledges', bob, inc({ status: 'declared' }), 'acknowledge' as const, [], true, undefined],
    ['not twice', bob, inc({ status: 'acknowledged' }), 'acknowledge' as const, [], false, 'is acknowledged'],
    ['lead resolves, login case-insensitive', alice, inc(), 'resolve' as const, [], true, undefined],
    ['another editor may not resolve', bob, inc(), 'resolve' as const, [], false, 'the incident lead is Alice'],
    ['admin resolves', root, inc(), 'resolve' as const, [], true, undefined],
    ['no lead', bob, inc({ roles: null }), 'resolve' as const, [], false, 'no incident lead is assigned'],
    [
      'close needs the review',
      alice,
      inc({ status: 'resolved' }),
      'close' as const,
      ['impact'],
      false,
      'missing: impact',
    ],
    [
      'SEV3 closes without',
      alice,
      inc({ status: 'resolved', severity: 'SEV3' }),
      'close' as const,
      ['impact'],
      true,
      undefined,
    ],
  ])('%s', (_name, user, incident, t, missing, allowed, why) => {
    const p = transitionPermission(user, incident, t, missing);
    expect(p.allowed).toBe(allowed);
    if (why) {
      expect(p.why).toContain(why);
    }
  });
});

test('nextTransitions follow the status', () => {
  expect(nextTransitions('declared')).toEqual(['acknowledge', 'contain', 'resolve']);
  expect(nextTransitions('resolved')).toEqual(['reopen', 'close']);
  expect(nextTransitions('closed')).toEqual([]);
});

test('lowering the severity is the lead’s, raising anyone’s', () => {
  expect(severityPermission(bob, inc(), 'SEV1').allowed).toBe(true);
  expect(severityPermission(bob, inc(), 'SEV3').why).toContain('lower the severity');
  expect(severityPermission(alice, inc(), 'SEV3').allowed).toBe(true);
});

test('the lead role is taken when vacant and handed on by the lead or an Admin', () => {
  expect(rolePermission(bob, inc({ roles: null }), 'incident_lead').allowed).toBe(true);
  expect(rolePermission(bob, inc(), 'incident_lead').allowed).toBe(false);
  expect(rolePermission(alice, inc(), 'incident_lead').allowed).toBe(true);
  expect(rolePermission(root, inc(), 'incident_lead').allowed).toBe(true);
  expect(rolePermission(bob, inc(), 'technical_lead').allowed).toBe(true);
});
