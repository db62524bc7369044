// What the signed-in user may do to an incident now, mirroring the backend's rules (pkg/incident/command.go) so the
// page can disable a control and say why. The server stays the authority: whatever it refuses is shown as it says.
import type { Incident, OrgRole, Severity, Status } from '../../api/types';
import { sameLogin } from '../../utils/format';

export interface User {
  login: string;
  role: OrgRole | string; // Grafana's org role; "None" (or anything else) may only read
}

export interface Permission {
  allowed: boolean;
  why?: string;
}

const yes: Permission = { allowed: true };
const no = (why: string): Permission => ({ allowed: false, why });

export type Transition = 'acknowledge' | 'contain' | 'resolve' | 'reopen' | 'close';

const FROM: Record<Transition, Status[]> = {
  acknowledge: ['declared'],
  contain: ['declared', 'acknowledged'],
  resolve: ['declared', 'acknowledged', 'contained'],
  reopen: ['resolved'],
  close: ['resolved'],
};

export const isEditor = (u: User) => u.role === 'Editor' || u.role === 'Admin';

function mayChange(u: User): Permission {
  if (!u.login) {
    return no('Sign in to change incidents');
  }
  return isEditor(u)
    ? yes
    : no(`You are a ${u.role || 'user without a role'}: viewers can read incidents but not change them`);
}

function leadOrAdmin(u: User, inc: Incident, what: string): Permission {
  if (u.role === 'Admin') {
    return yes;
  }
  const lead = inc.roles?.incident_lead;
  if (sameLogin(lead, u.login)) {
    return yes;
  }
  return no(
    `Only the incident lead or an Admin may ${what}; ${lead ? `the incident lead is ${lead}` : 'no incident lead is assigned'}`
  );
}

// transitionPermission says whether the user may move the incident along transition t now.
export function transitionPermission(u: User, inc: Incident, t: Transition, reviewMissing: string[]): Permission {
  const base = mayChange(u);
  if (!base.allowed) {
    return base;
  }
  if (!FROM[t].includes(inc.status)) {
    return no(`The incident is ${inc.status}`);
  }
  if (t === 'resolve' || t === 'close') {
    const p = leadOrAdmin(u, inc, `${t} this incident`);
    if (!p.allowed) {
      return p;
    }
  }
  if (t === 'close' && inc.severity !== 'SEV3' && reviewMissing.length > 0) {
    return no(`A ${inc.severity} incident closes only with a complete review; missing: ${reviewMissing.join(', ')}`);
  }
  return yes;
}

// The transitions that make sense from the incident's status, in the order a responder goes through them.
export function nextTransitions(status: Status): Transition[] {
  return (Object.keys(FROM) as Transition[]).filter((t) => FROM[t].includes(status));
}

export function severityPermission(u: User, inc: Incident, to: Severity): Permission {
  const base = mayChange(u);
  if (!base.allowed) {
    return base;
  }
  if (inc.status === 'closed') {
    return no('The incident is closed');
  }
  return to > inc.severity ? leadOrAdmin(u, inc, 'lower the severity') : yes;
}

// rolePermission: taking a vacant incident lead role is open to Editors; once there is a lead, only that lead or an
// Admin hands it on.
export function rolePermission(u: User, inc: Incident, role: string): Permission {
  const base = mayChange(u);
  if (!base.allowed) {
    return base;
  }
  if (inc.status === 'closed') {
    return no('The incident is closed');
  }
  if (role === 'incident_lead' && inc.roles?.incident_lead) {
    return leadOrAdmin(u, inc, 'hand on the incident lead role');
  }
  return yes;
}

export function editPermission(u: User, inc: Incident): Permission {
  const base = mayChange(u);
  if (!base.allowed) {
    return base;
  }
  return inc.status === 'closed' ? no('The incident is closed') : yes;
}

// draftPermission says whether the user may draft the incident's EU AI Act report: drafting is recorded on the
// timeline (an Editor's change), of an incident flagged under the EU AI Act; a closed incident's final report too.
export function draftPermission(u: User, inc: Incident): Permission {
  const base = mayChange(u);
  if (!base.allowed) {
    return base;
  }
  return inc.regulatory?.some((c) => c.regime === 'eu_ai_act')
    ? yes
    : no('Flag the incident under the EU AI Act first: the report is drafted for a flagged incident');
}
