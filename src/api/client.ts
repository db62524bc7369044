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
  Taxonomy,
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
      innerError(e.data) ||
      e.data?.error ||
      e.data?.message ||
      e.message ||
      e.statusText ||
      (status ? `HTTP ${status}` : 'request failed');
    return new ApiError(status, text, e.data?.status);
  }
  return new ApiError(0, String(err));
}

// innerError is the backend's {"error"} of an answer read as text or bytes (a download): Grafana wraps a text body
// that is not JSON as {error: statusText, response: body}, and keeps bytes asked for as an ArrayBuffer as they are.
function innerError(data: unknown): string | undefined {
  let body = isBytes(data) ? data : (data as { response?: unknown } | undefined)?.response;
  if (isBytes(body)) {
    body = new TextDecoder().decode(body);
  }
  if (typeof body !== 'string') {
    return undefined;
  }
  try {
    const parsed = JSON.parse(body);
    return typeof parsed?.error === 'string' ? parsed.error : undefined;
  } catch {
    return undefined;
  }
}

// isBytes tells an ArrayBuffer from any realm (a frame's, a test environment's).
function isBytes(v: unknown): v is ArrayBuffer {
  return Object.prototype.toString.call(v) === '[object ArrayBuffer]';
}

type Method = 'GET' | 'POST' | 'PUT';

// A report the backend answered as a file: its name (from Content-Disposition), media type and content (bytes for a
// PDF, text otherwise).
export interface DownloadedFile {
  name: string;
  type: string;
  content: string | ArrayBuffer;
}

export type ReportFormat = 'json' | 'markdown' | 'html' | 'pdf';
export const REPORT_FORMATS: Array<{ value: ReportFormat; label: string }> = [
  { value: 'pdf', label: 'PDF' },
  { value: 'html', label: 'HTML (prints well)' },
  { value: 'markdown', label: 'Markdown' },
  { value: 'json', label: 'JSON' },
];
export type EUReportType = 'initial' | 'follow_up' | 'combined' | 'final';
export const EU_REPORT_TYPES: Array<{ value: EUReportType; label: string }> = [
  { value: 'initial', label: 'Initial' },
  { value: 'follow_up', label: 'Follow-up' },
  { value: 'combined', label: 'Combined initial and final' },
  { value: 'final', label: 'Final' },
];

// A download's resource path and query; binary: read as bytes (a PDF), not text.
export interface DownloadRequest {
  path: string;
  params: Record<string, string>;
  fallbackName: string;
  binary?: boolean;
}

// The incident report for auditors.
export function auditExportRequest(id: string, format: ReportFormat): DownloadRequest {
  return {
    path: `${incidentPath(id)}/export`,
    params: { format },
    fallbackName: `incident-${id}-audit.${extension(format)}`,
    ...(format === 'pdf' ? { binary: true } : {}),
  };
}

// The draft of the incident's EU AI Act serious-incident report.
export function euAiActRequest(id: string, type: EUReportType, format: ReportFormat): DownloadRequest {
  return {
    path: `${incidentPath(id)}/reports/eu-ai-act`,
    params: { type, format },
    fallbackName: `incident-${id}-eu-ai-act-${type.replace('_', '-')}.${extension(format)}`,
    ...(format === 'pdf' ? { binary: true } : {}),
  };
}

// The CSV of the incidents declared in [from, to) (Unix ms or RFC 3339, as the queue's time range gives them).
export function incidentsCSVRequest(from: string, to: string, drills = false): DownloadRequest {
  return {
    path: 'incidents/export',
    params: { from, to, ...(drills ? { drills: 'true' } : {}) },
    fallbackName: 'incidents.csv',
  };
}

function extension(f: ReportFormat) {
  return f === 'markdown' ? 'md' : f;
}

// download reads a file the backend answers, as text, or as bytes when it is binary: text would not keep a PDF's
// bytes (Grafana's fetch and its stand-in both keep text and an ArrayBuffer as they are).
async function download(r: DownloadRequest): Promise<DownloadedFile> {
  try {
    const res = await lastValueFrom(
      getBackendSrv().fetch<string | ArrayBuffer>({
        url: `${RESOURCES_URL}/${r.path}`,
        method: 'GET',
        params: r.params,
        responseType: r.binary ? 'arraybuffer' : 'text',
        showErrorAlert: false,
        showSuccessAlert: false,
      })
    );
    const disposition = res.headers?.get('Content-Disposition') ?? '';
    return {
      name: /filename="([^"]+)"/.exec(disposition)?.[1] ?? r.fallbackName,
      type: res.headers?.get('Content-Type') ?? 'application/octet-stream',
      content: typeof res.data === 'string' || isBytes(res.data) ? res.data : JSON.stringify(res.data),
    };
  } catch (err) {
    throw toApiError(err);
  }
}

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
  put('owasp_llm', f.owasp_llm?.join(','));
  put('atlas_tactics', f.atlas_tactics?.join(','));
  put('nist_ai_600_1', f.nist_ai_600_1?.join(','));
  put('harm', f.harm?.join(','));
  put('deployment_breadth', f.deployment_breadth?.join(','));
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
  classify: (id: string, t: Taxonomy) => request<CommandAnswer>('PUT', `${incidentPath(id)}/taxonomy`, t),
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
  exportIncident: (id: string, format: ReportFormat) => download(auditExportRequest(id, format)),
  draftEUAIActReport: (id: string, type: EUReportType, format: ReportFormat) =>
    download(euAiActRequest(id, type, format)),
  exportIncidentsCSV: (from: string, to: string, drills = false) => download(incidentsCSVRequest(from, to, drills)),

  evidenceDownloadURL: (id: string, snapshot: string) =>
    `${RESOURCES_URL}/${incidentPath(id)}/evidence/${encodeURIComponent(snapshot)}?download=1`,
};
