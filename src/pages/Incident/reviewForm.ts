// The review form's state and its checks, kept apart from the page (reviewForm.test.ts).
import type { ActionItem, Incident, Review } from '../../api/types';

export interface ReviewForm extends Omit<Review, 'action_items'> {
  action_items: ActionItem[];
}

// toForm is the form of a stored review; a new one starts with the times Firebreak knows (harm started with the first
// alert, detected when declared, contained when marked so), for the reviewer to correct.
export function toForm(
  r: Review | null,
  inc?: Pick<Incident, 'started_at' | 'declared_at' | 'contained_at'>
): ReviewForm {
  return {
    started_at: r ? r.started_at : inc?.started_at,
    detected_at: r ? r.detected_at : inc?.declared_at,
    contained_at: r ? r.contained_at : inc?.contained_at,
    impact: r?.impact ?? '',
    affected: r?.affected ?? '',
    root_cause_class: r?.root_cause_class ?? '',
    root_cause: r?.root_cause ?? '',
    action_items: r?.action_items ?? [],
    action_items_none: r?.action_items_none ?? false,
    playbook_changes: r?.playbook_changes ?? '',
    regulatory_follow_up: r?.regulatory_follow_up ?? '',
  };
}

export const MAX_TEXT = 10000;

// validate returns the form's errors by field name, as the backend names them ("action_items[0].due").
export function validate(f: ReviewForm): Record<string, string> {
  const errs: Record<string, string> = {};
  for (const k of ['impact', 'affected', 'root_cause', 'playbook_changes', 'regulatory_follow_up'] as const) {
    if (f[k].length > MAX_TEXT) {
      errs[k] = `At most ${MAX_TEXT} characters (now ${f[k].length})`;
    }
  }
  f.action_items.forEach((a, i) => {
    if (a.text.trim() === '') {
      errs[`action_items[${i}].text`] = 'What is to be done?';
    }
    if (a.due && !validDate(a.due)) {
      errs[`action_items[${i}].due`] = `"${a.due}" is not a date like 2026-12-31`;
    }
  });
  return errs;
}

export function validDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) {
    return false;
  }
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
}

// toReview is the body of PUT review: empty times left out.
export function toReview(f: ReviewForm): Review {
  return {
    ...f,
    started_at: f.started_at || undefined,
    detected_at: f.detected_at || undefined,
    contained_at: f.contained_at || undefined,
    action_items: f.action_items.map((a) => ({ ...a, text: a.text.trim(), owner: a.owner.trim(), due: a.due.trim() })),
    action_items_none: f.action_items.length === 0 && f.action_items_none ? true : undefined,
  };
}

// fieldOfError finds which field a backend message names ("action_items[0].due: ..." -> "action_items[0].due").
export function fieldOfError(message: string): string | undefined {
  const m = /^([a-z_]+(?:\[\d+\]\.[a-z_]+)?):/.exec(message);
  return m?.[1];
}
