// The queue's filters as they live in the URL (shareable, the back button works), and their translation to the API.
import {
  ATLAS_TACTICS,
  type Category,
  CATEGORY_LIST,
  DEPLOYMENT_BREADTHS,
  type DeploymentBreadth,
  type Harm,
  HARMS,
  NIST_AI_600_1,
  type ListFilter,
  OPEN_STATUSES,
  type Severity,
  SEVERITY_LIST,
  OWASP_LLM_2025,
  type Status,
  STATUS_LIST,
} from '../../api/types';

export interface QueueFilters {
  status: Status[]; // empty: any status
  severity: Severity[];
  category: Category[];
  aiSystem: string[];
  owaspLLM: string[]; // OWASP Top 10 for LLM entries (LLM01...)
  harm: Harm[];
  atlasTactics: string[]; // MITRE ATLAS tactics (AML.TA0000...)
  nistRisks: string[]; // NIST AI 600-1 risks, by slug
  deploymentBreadth: DeploymentBreadth[];
  q: string;
  from: string; // Grafana time expressions (now-90d) or Unix ms
  to: string;
  drills: boolean;
  cursor: string;
}

export const DEFAULT_FROM = 'now-90d';
export const DEFAULT_TO = 'now';

// The list filters: the field, its name in the URL and in the API (the same), and the values it may take (any, when
// not given). readFilters, writeFilters and toListFilter read this one table.
type ListField =
  'severity' | 'category' | 'aiSystem' | 'owaspLLM' | 'harm' | 'atlasTactics' | 'nistRisks' | 'deploymentBreadth';
const LIST_FILTERS: ReadonlyArray<{ field: ListField; param: keyof ListFilter; allowed?: readonly string[] }> = [
  { field: 'severity', param: 'severity', allowed: SEVERITY_LIST },
  { field: 'category', param: 'category', allowed: CATEGORY_LIST },
  { field: 'aiSystem', param: 'ai_system' },
  { field: 'owaspLLM', param: 'owasp_llm', allowed: Object.keys(OWASP_LLM_2025) },
  { field: 'harm', param: 'harm', allowed: Object.keys(HARMS) },
  { field: 'atlasTactics', param: 'atlas_tactics', allowed: Object.keys(ATLAS_TACTICS) },
  { field: 'nistRisks', param: 'nist_ai_600_1', allowed: Object.keys(NIST_AI_600_1) },
  { field: 'deploymentBreadth', param: 'deployment_breadth', allowed: Object.keys(DEPLOYMENT_BREADTHS) },
];

const pick = <T extends string>(values: string[], allowed: readonly T[]): T[] =>
  values.filter((v): v is T => (allowed as readonly string[]).includes(v));

const list = (p: URLSearchParams, name: string) =>
  p
    .getAll(name)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);

// readFilters reads the URL; a missing status means the default (open incidents), "any" means every status.
export function readFilters(p: URLSearchParams): QueueFilters {
  const status = p.get('status');
  return {
    status: status === null ? [...OPEN_STATUSES] : status === 'any' ? [] : pick(list(p, 'status'), STATUS_LIST),
    ...(Object.fromEntries(
      LIST_FILTERS.map(({ field, param, allowed }) => [field, allowed ? pick(list(p, param), allowed) : list(p, param)])
    ) as Pick<QueueFilters, ListField>),
    q: p.get('q') ?? '',
    from: p.get('from') || DEFAULT_FROM,
    to: p.get('to') || DEFAULT_TO,
    drills: p.get('drills') === 'true',
    cursor: p.get('cursor') ?? '',
  };
}

// writeFilters is readFilters' inverse; defaults are left out so that URLs stay short.
export function writeFilters(f: QueueFilters): URLSearchParams {
  const p = new URLSearchParams();
  const sameAsDefault = f.status.length === OPEN_STATUSES.length && OPEN_STATUSES.every((s) => f.status.includes(s));
  if (f.status.length === 0) {
    p.set('status', 'any');
  } else if (!sameAsDefault) {
    p.set('status', f.status.join(','));
  }
  for (const { field, param } of LIST_FILTERS) {
    if (f[field].length) {
      p.set(param, f[field].join(','));
    }
  }
  if (f.q.trim()) {
    p.set('q', f.q.trim());
  }
  if (f.from !== DEFAULT_FROM) {
    p.set('from', f.from);
  }
  if (f.to !== DEFAULT_TO) {
    p.set('to', f.to);
  }
  if (f.drills) {
    p.set('drills', 'true');
  }
  if (f.cursor) {
    p.set('cursor', f.cursor);
  }
  return p;
}

// toListFilter is the API's filter for resolved from/to times (Unix ms).
export function toListFilter(f: QueueFilters, fromMs: number, toMs: number, limit: number): ListFilter {
  return {
    status: f.status.length ? f.status : undefined,
    ...Object.fromEntries(LIST_FILTERS.map(({ field, param }) => [param, f[field]])),
    q: f.q,
    from: String(fromMs),
    to: String(toMs),
    drills: f.drills,
    limit,
    cursor: f.cursor || undefined,
  };
}
