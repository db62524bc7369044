// Words and numbers as the pages show them. Pure functions (table-tested in format.test.ts).
import type { Category, ResponseRole, Severity, Status } from '../api/types';

export const SEVERITY_GUIDANCE: Record<Severity, string> = {
  SEV1: 'Harm is happening now to many users, to safety, legal standing or data: respond immediately, around the clock.',
  SEV2: 'Real harm to some users or a serious risk of it: respond the same day. When in doubt, choose SEV2.',
  SEV3: 'Limited or potential harm, a workaround exists: respond within a few days.',
};

export const CATEGORY_LABELS: Record<Category, string> = {
  hallucination: 'Hallucination',
  bias: 'Bias / fairness',
  prompt_injection: 'Prompt injection',
  drift: 'Drift',
  unauthorized_use: 'Unauthorized use',
  data_exposure: 'Data exposure',
  oversight_failure: 'Oversight failure',
  other: 'Other',
};

export const CATEGORY_DESCRIPTIONS: Record<Category, string> = {
  hallucination: 'The model states false things as facts (confabulation, ungrounded answers).',
  bias: 'Outcomes differ unfairly between groups; a fairness metric drifted.',
  prompt_injection: 'Inputs took control of the model: jailbreaks, injected instructions, tool misuse.',
  drift: 'Inputs or outputs moved away from what the model was validated on.',
  unauthorized_use: 'A model, tool or data used without approval or beyond its approved purpose.',
  data_exposure: 'Personal or confidential data shown to someone who should not see it.',
  oversight_failure: 'Human review or another safeguard did not happen or did not work.',
  other: 'Anything else that harms people through an AI system.',
};

export const STATUS_LABELS: Record<Status, string> = {
  declared: 'Declared',
  acknowledged: 'Acknowledged',
  contained: 'Contained',
  resolved: 'Resolved',
  closed: 'Closed',
};

export const ROLE_LABELS: Record<ResponseRole, string> = {
  incident_lead: 'Incident lead',
  technical_lead: 'Technical lead',
  legal_compliance: 'Legal / compliance',
  communications: 'Communications',
};

// formatDuration writes a span of seconds the way a responder reads it: "45s", "12m", "3h 5m", "2d 4h".
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(Math.abs(seconds)));
  if (s < 60) {
    return `${s}s`;
  }
  const m = Math.floor(s / 60);
  if (m < 60) {
    return `${m}m`;
  }
  const h = Math.floor(m / 60);
  if (h < 48) {
    return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  }
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}

// actorLabel turns a timeline actor ("user:alice", "rule:HighHallucinationRate", "firebreak") into words.
export function actorLabel(actor: string): string {
  if (actor.startsWith('user:')) {
    return actor.slice('user:'.length);
  }
  if (actor.startsWith('rule:')) {
    return `alert rule ${actor.slice('rule:'.length)}`;
  }
  return actor === 'firebreak' ? 'Firebreak' : actor;
}

// promExpr returns the PromQL expression of an alert's generatorURL (Prometheus's g0.expr), or undefined.
export function promExpr(generatorURL: string | undefined): string | undefined {
  if (!generatorURL) {
    return undefined;
  }
  try {
    const u = new URL(generatorURL);
    return u.searchParams.get('g0.expr') || undefined;
  } catch {
    return undefined;
  }
}

// sameLogin compares Grafana logins as Grafana does: without regard to case.
export function sameLogin(a: string | undefined, b: string | undefined): boolean {
  return !!a && !!b && a.toLowerCase() === b.toLowerCase();
}

// moveRange shifts a time range by its own length (back: -1, forward: 1) or widens it around its middle (zoom out,
// 0), as Grafana's time picker arrows do; the result is absolute Unix milliseconds.
export function moveRange(from: number, to: number, step: -1 | 0 | 1, now: number): { from: number; to: number } {
  const span = to - from;
  if (step === 0) {
    const mid = from + span / 2;
    return { from: Math.round(mid - span), to: Math.min(Math.round(mid + span), now) };
  }
  const shift = step === 1 ? Math.min(span, now - to) : -span;
  return { from: from + shift, to: to + shift };
}
