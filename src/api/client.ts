// The one client of the plugin's resource API (pkg/plugin). Every call goes through request(), which turns
// whatever getBackendSrv rejects with into an ApiError carrying the status and the backend's own message, so pages
// show the server's words ("acknowledged by erin a moment ago") and never Grafana's global error toast.
import { lastValueFrom } from 'rxjs';
import { getBackendSrv } from '@grafana/runtime';
import { RESOURCES_URL } from '../constants';
import type {
  Alert,
  CommandAnswer,
  ContainmentAnswer,
  ContainmentList,
  DeclareRequest,
  EvidenceAnswer,
  EvidenceSnapshot,
  IncidentDetail,
  IncidentPage,
  ListFilter,
  ReadinessResult,
  Regime,
  ResponseRole,
  Review,
  Severity,
  Stats,
  TimelineEvent,
  TimelineKind,
  Verification,
} from './types';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly currentStatus?: string // the incident's status, on a 409
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

// Turns a rejection of getBackendSrv (a FetchError: status, data.error or data.message) into an ApiError.
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) {
    return err;
  }
  if (err && typeof err === 'object') {
    const e = err as {
      status?: number;
      data?: { error?: string; message?: string; status?: string };
      message?: string;
      statusText?: string;
    };
    const status = e.status ?? 0;
    const text =
      e.data?.error || e.data?.message || e.message || e.statusText || (status ? `HTTP ${status}` : 'request failed');
    return new ApiError(status, text, e.data?.status);
  }
  return new ApiError(0, String(err));
}

type Method = 'GET' | 'POST' | 'PUT';

async function request<T>(
  method: Method,
  path: string,
  body?: unknown,
  params?: Record<string, string | string[]>
): Promise<T> {
  try {
    const res = await lastValueFrom(
      getBackendSrv().fetch<T>({
        url: `${RESOURCES_URL}/${path}`,
        method,
        data: body,
        params,
        showErrorAlert: false,
        showSuccessAlert: false,
      })
    );
    return res.data;
  } catch (err) {
    throw toApiError(err);
  }
}

const incidentPath = (id: string) => `incidents/${encodeURIComponent(id)}`;

// listParams turns a filter into the query of GET incidents (lists comma-separated, empty values left out).
export function listParams(f: ListFilter): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (k: string, v: string | undefined) => {
    if (v) {
      out[k] = v;
    }
  };
  put('status', f.status?.join(','));
  put('severity', f.severity?.join(','));
  put('category', f.category?.join(','));
  put('ai_system', f.ai_system?.join(','));
  put('q', f.q?.trim());
  put('from', f.from);
  put('to', f.to);
  put('drills', f.drills ? 'true' : undefined);
  put('limit', f.limit ? String(f.limit) : undefined);
  put('cursor', f.cursor);
  return out;
}

export const api = {
  listIncidents: (f: ListFilter) => request<IncidentPage>('GET', 'incidents', undefined, listParams(f)),
  getIncident: (id: string) => request<IncidentDetail>('GET', incidentPath(id)),
  timelinePage: (id: string, cursor: string, kinds: TimelineKind[] = [], limit = 500) =>
    request<{ timeline: TimelineEvent[]; next_cursor: string }>('GET', `${incidentPath(id)}/timeline`, undefined, {
      ...(cursor ? { cursor } : {}),
      ...(kinds.length ? { kind: kinds.join(',') } : {}),
      limit: String(limit),
    }),
  alertsPage: (id: string, cursor: string, limit = 100) =>
    request<{ alerts: Alert[]; next_cursor: string; total: number }>('GET', `${incidentPath(id)}/alerts`, undefined, {
      ...(cursor ? { cursor } : {}),
      limit: String(limit),
    }),
  verify: (id: string) => request<Verification>('GET', `${incidentPath(id)}/verify`),
  stats: (from?: string, to?: string) => {
    const params: Record<string, string> = {};
    if (from) {
      params.from = from;
    }
    if (to) {
      params.to = to;
    }
    return request<Stats>('GET', 'stats', undefined, params);
  },

  declare: (d: DeclareRequest) => request<CommandAnswer>('POST', 'incidents', d),
  acknowledge: (id: string) => request<CommandAnswer>('POST', `${incidentPath(id)}/acknowledge`),
  setSeverity: (id: string, severity: Severity, reason: string) =>
    request<CommandAnswer>('POST', `${incidentPath(id)}/severity`, { severity, reason }),
  assignRole: (id: string, role: ResponseRole, user: string) =>
    request<CommandAnswer>('POST', `${incidentPath(id)}/roles`, { role, user }),
  addNote: (id: string, text: string) => request<CommandAnswer>('POST', `${incidentPath(id)}/notes`, { text }),
  setStatus: (id: string, status: 'contained' | 'resolved' | 'reopened', reason: string) =>
    request<CommandAnswer>('POST', `${incidentPath(id)}/status`, { status, reason }),
  saveReview: (id: string, review: Review) => request<CommandAnswer>('PUT', `${incidentPath(id)}/review`, review),
  close: (id: string) => request<CommandAnswer>('POST', `${incidentPath(id)}/close`),
  flagRegulatory: (id: string, regime: Regime, tier: string, awareAt: string) =>
    request<CommandAnswer>('POST', `${incidentPath(id)}/regulatory`, {
      regime,
      tier: tier || undefined,
      aware_at: awareAt,
    }),
  reportRegulatory: (
    id: string,
    r: { regime: Regime; authority: string; report: 'initial' | 'complete'; sent_at: string; reference: string }
  ) => request<CommandAnswer>('POST', `${incidentPath(id)}/regulatory/reports`, r),

  containment: (id: string) => request<ContainmentList>('GET', `${incidentPath(id)}/containment`),
  requestContainment: (id: string, action: string, reason: string) =>
    request<ContainmentAnswer>('POST', `${incidentPath(id)}/containment`, { action, reason }),
  approveContainment: (id: string, requestId: string, reason: string) =>
    request<ContainmentAnswer>('POST', `${incidentPath(id)}/containment/${encodeURIComponent(requestId)}/approve`, {
      reason,
    }),
  rejectContainment: (id: string, requestId: string, reason: string) =>
    request<ContainmentAnswer>('POST', `${incidentPath(id)}/containment/${encodeURIComponent(requestId)}/reject`, {
      reason,
    }),
  retryContainment: (id: string, requestId: string) =>
    request<ContainmentAnswer>('POST', `${incidentPath(id)}/containment/${encodeURIComponent(requestId)}/retry`),
  readiness: () =>
    request<{ checked_at: string; actions: number; ready: number; results: ReadinessResult[] }>(
      'GET',
      'containment/readiness'
    ),

  evidence: (id: string) =>
    request<{ incident_id: string; snapshots: EvidenceSnapshot[] }>('GET', `${incidentPath(id)}/evidence`),
  evidenceSnapshot: (id: string, snapshot: string) =>
    request<EvidenceAnswer>('GET', `${incidentPath(id)}/evidence/${encodeURIComponent(snapshot)}`),
  evidenceDownloadURL: (id: string, snapshot: string) =>
    `${RESOURCES_URL}/${incidentPath(id)}/evidence/${encodeURIComponent(snapshot)}?download=1`,
};
