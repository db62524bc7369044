// The JSON of the plugin's resource API (pkg/plugin, pkg/incident), as the backend writes it. Times are RFC 3339
// strings; fields the backend leaves out when zero are optional here.

import { SEVERITIES, type Severity } from '../types';

export type { Severity }; // one definition, with the settings' (src/types.ts)
export type Status = 'declared' | 'acknowledged' | 'contained' | 'resolved' | 'closed';
export type Category =
  | 'hallucination'
  | 'bias'
  | 'prompt_injection'
  | 'drift'
  | 'unauthorized_use'
  | 'data_exposure'
  | 'oversight_failure'
  | 'other';
export type ResponseRole = 'incident_lead' | 'technical_lead' | 'legal_compliance' | 'communications';
export type OrgRole = 'Viewer' | 'Editor' | 'Admin';

export const SEVERITY_LIST: Severity[] = [...SEVERITIES];
export const STATUS_LIST: Status[] = ['declared', 'acknowledged', 'contained', 'resolved', 'closed'];
export const OPEN_STATUSES: Status[] = ['declared', 'acknowledged', 'contained'];
export const CATEGORY_LIST: Category[] = [
  'hallucination',
  'bias',
  'prompt_injection',
  'drift',
  'unauthorized_use',
  'data_exposure',
  'oversight_failure',
  'other',
];
export const RESPONSE_ROLES: ResponseRole[] = ['incident_lead', 'technical_lead', 'legal_compliance', 'communications'];
export const REPORT_CHANNELS = ['support', 'security', 'legal', 'engineering', 'other'] as const;
export type ReportChannel = (typeof REPORT_CHANNELS)[number];
export const ROOT_CAUSE_CLASSES = [
  'model_defect',
  'bad_data',
  'attack',
  'process_failure',
  'design_gap',
  'other',
] as const;

export interface ActionItem {
  text: string;
  owner: string;
  due: string; // YYYY-MM-DD
  status: 'open' | 'done';
}

export interface Review {
  started_at?: string;
  detected_at?: string;
  contained_at?: string;
  impact: string;
  affected: string;
  root_cause_class: string;
  root_cause: string;
  action_items: ActionItem[] | null;
  action_items_none?: boolean; // "no actions": explicit, for a SEV1/SEV2 review to be complete without any
  playbook_changes: string;
  regulatory_follow_up: string;
}

export type Regime = 'eu_ai_act' | 'gdpr';

export interface RegulatoryReport {
  regime: Regime;
  authority: string;
  report: 'initial' | 'complete';
  sent_at: string;
  reference?: string;
}

export interface Clock {
  regime: Regime;
  tier?: string;
  aware_at: string;
  due_at: string;
  initial_report_at?: string;
  complete_report_at?: string;
  reports?: RegulatoryReport[];
}

export interface ClockState extends Clock {
  overdue: boolean;
}

export type ContainmentState =
  'pending_approval' | 'ready' | 'approved' | 'rejected' | 'running' | 'succeeded' | 'failed';

export interface ContainmentOutcome {
  request_id: string;
  attempt: number;
  succeeded: boolean;
  http_status?: number;
  latency_ms: number;
  tries: number;
  answer?: string;
  error?: string;
}

export interface ContainmentAttempt {
  request_id: string;
  attempt: number;
  dry_run: boolean;
  target: string;
  deadline: string;
  evidence: { id: string; sha256: string; bytes: number };
  started_by: string;
  started_at: string;
  outcome?: ContainmentOutcome;
  finished_at?: string;
}

export interface ContainmentRequest {
  request_id: string;
  action: string;
  action_kind: string;
  label: string;
  reason?: string;
  needs_approval: boolean;
  requested_by: string;
  requested_at: string;
  state: ContainmentState;
  decided_by?: string;
  decided_at?: string;
  decision_reason?: string;
  attempts: ContainmentAttempt[] | null;
}

export interface Incident {
  incident_id: string;
  title: string;
  description?: string;
  ai_system: string;
  category: Category;
  severity: Severity;
  status: Status;
  declared_by: string;
  declared_via: string;
  group_key?: string;
  drill?: boolean;
  reported_via?: string;
  started_at: string;
  declared_at: string;
  acknowledged_at?: string;
  contained_at?: string;
  resolved_at?: string;
  closed_at?: string;
  alert_count: number;
  firing_alert_count: number;
  // Set while its alerts keep firing and clearing (the receiver's flapping damping holds it open meanwhile).
  flapping?: boolean;
  flapping_since?: string;
  roles: Partial<Record<ResponseRole, string>> | null;
  review: Review | null;
  taxonomy?: Taxonomy;
  // Who set the classification last: "rule:<alertname>", "firebreak" (a category's defaults) or "user:<login>".
  taxonomy_by?: string;
  regulatory: Clock[] | null;
  containment?: ContainmentRequest[];
  last_seq: number;
  last_hash: string;
  updated_at: string;
}

export interface SLAState {
  acknowledge_due_at?: string;
  acknowledge_breached: boolean;
  contain_due_at?: string;
  contain_breached: boolean;
}

export interface IncidentRow extends Incident {
  review_complete: boolean;
  regulatory_due_at?: string;
  sla: SLAState;
}

export interface IncidentPage {
  incidents: IncidentRow[];
  next_cursor: string;
}

export interface Alert {
  key: string;
  fingerprint: string;
  alertname: string;
  status: 'firing' | 'resolved';
  starts_at: string;
  ends_at?: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  generator_url?: string;
  values?: Record<string, number>;
  // Grafana alerting's links (stored as sent: show only http(s) ones).
  dashboard_url?: string;
  panel_url?: string;
  silence_url?: string;
  image_url?: string;
  source: string;
}

export interface LabelSummary {
  name: string;
  distinct: number;
  values: Array<{ value: string; count: number }>;
  other: number;
  missing?: number;
}

export interface AlertSummary {
  by_status: Record<string, number>;
  labels: LabelSummary[];
  labels_omitted?: number;
}

export interface TimelineEvent {
  incident_id: string;
  seq: number;
  at: string;
  recorded_at: string;
  kind: string;
  actor: string;
  message: string;
  body: unknown;
  cause?: string;
  prev_hash: string;
  hash: string;
}

export interface Contact {
  name: string;
  role: string;
}

// GET incidents/{id}: the first page of its alerts and of its timeline, with cursors for the rest.
export interface IncidentDetail {
  incident: Incident;
  sla: SLAState;
  regulatory: ClockState[];
  review_missing: string[];
  escalation: Contact[];
  alert_summary: AlertSummary;
  alerts_total: number;
  alerts: Alert[];
  alerts_next_cursor: string;
  timeline_total: number;
  timeline: TimelineEvent[];
  timeline_next_cursor: string;
}

export type TimelineKind = 'alerts' | 'people' | 'containment' | 'system';

export interface CommandAnswer {
  incident: Incident;
  events: TimelineEvent[];
}

export interface Problem {
  seq: number;
  kind: string;
  detail: string;
}

export interface Verification {
  intact: boolean;
  events: number;
  last_hash?: string;
  signature: {
    status: 'verified' | 'invalid' | 'not_configured';
    key_id?: string;
    covered_through: number;
    heads: number;
  };
  problems: Problem[];
  break?: Problem;
}

export interface DueItem {
  incident_id: string;
  title: string;
  severity: string;
  due_at: string;
}

export interface Stats {
  from: string;
  to: string;
  by_severity: Record<string, number>;
  by_status: Record<string, number>;
  by_category: Record<string, number>;
  mtta_seconds: Record<string, number>;
  mttc_seconds: Record<string, number>;
  mttr_seconds: Record<string, number>;
  open_sla_breaches: number;
  regulatory_due_72h: DueItem[];
  regulatory_overdue: number;
  overdue_action_items: number;
}

export interface ActionView {
  ai_system: string;
  id: string;
  kind: string;
  label: string;
  method: string;
  target: string;
  requires_approval: boolean;
  request_roles: string[] | null;
  has_dry_run: boolean;
  has_status: boolean;
  timeout: string;
  headers: string[];
  may_request: boolean;
  may_approve: boolean;
  why_not?: string;
}

export interface RequestView extends ContainmentRequest {
  may_approve: boolean;
  may_retry: boolean;
  why_not?: string;
}

export interface ContainmentList {
  incident_id: string;
  ai_system: string;
  drill: boolean;
  actions: ActionView[];
  requests: RequestView[];
}

export interface ContainmentAnswer {
  request: ContainmentRequest;
  incident: Incident;
}

export interface ReadinessResult {
  ai_system: string;
  action: string;
  label: string;
  kind: string;
  dry_run_url?: string;
  ready: boolean;
  http_status?: number;
  latency_ms: number;
  error?: string;
}

export interface EvidenceSnapshot {
  incident_id: string;
  snapshot_id: string;
  request_id: string;
  attempt: number;
  taken_at: string;
  taken_by: string;
  sha256: string;
  bytes: number;
}

export interface EvidenceAnswer {
  snapshot: EvidenceSnapshot;
  content: unknown;
  sha256: string;
  recomputed_sha256: string;
  timeline_sha256: string;
  timeline_seq?: number;
  timeline_intact: boolean;
  verified: boolean;
}

export interface DeclareRequest {
  title: string;
  severity: Severity;
  category: Category;
  ai_system: string;
  description: string;
  reported_via: ReportChannel;
  drill: boolean;
}

// Filters of the incident list (GET incidents), as the queue keeps them in the URL.
export interface ListFilter {
  status?: Status[];
  severity?: Severity[];
  category?: Category[];
  ai_system?: string[];
  // The taxonomy (Taxonomy's codes): incidents with any of the codes given.
  owasp_llm?: string[];
  atlas_tactics?: string[];
  nist_ai_600_1?: string[];
  harm?: Harm[];
  deployment_breadth?: DeploymentBreadth[];
  q?: string;
  from?: string; // RFC 3339 or Unix ms
  to?: string;
  drills?: boolean;
  limit?: number;
  cursor?: string;
}

// An incident's standard classifications (pkg/incident Taxonomy); every part optional.
export interface Taxonomy {
  owasp_llm?: string[];
  atlas_tactics?: string[];
  nist_ai_600_1?: string[];
  harm?: Harm;
  people_affected?: number;
  deployment_breadth?: DeploymentBreadth;
}

export const OWASP_LLM_2025: Record<string, string> = {
  LLM01: 'Prompt Injection',
  LLM02: 'Sensitive Information Disclosure',
  LLM03: 'Supply Chain',
  LLM04: 'Data and Model Poisoning',
  LLM05: 'Improper Output Handling',
  LLM06: 'Excessive Agency',
  LLM07: 'System Prompt Leakage',
  LLM08: 'Vector and Embedding Weaknesses',
  LLM09: 'Misinformation',
  LLM10: 'Unbounded Consumption',
};

// MITRE ATLAS tactics AML.TA0000 to AML.TA0015, by id, with their names (the same as incident.ATLASTactics).
export const ATLAS_TACTICS: Record<string, string> = {
  'AML.TA0000': 'AI Model Access',
  'AML.TA0001': 'AI Attack Staging',
  'AML.TA0002': 'Reconnaissance',
  'AML.TA0003': 'Resource Development',
  'AML.TA0004': 'Initial Access',
  'AML.TA0005': 'Execution',
  'AML.TA0006': 'Persistence',
  'AML.TA0007': 'Defense Evasion',
  'AML.TA0008': 'Discovery',
  'AML.TA0009': 'Collection',
  'AML.TA0010': 'Exfiltration',
  'AML.TA0011': 'Impact',
  'AML.TA0012': 'Privilege Escalation',
  'AML.TA0013': 'Credential Access',
  'AML.TA0014': 'Command and Control',
  'AML.TA0015': 'Lateral Movement',
};

export const NIST_AI_600_1: Record<string, string> = {
  cbrn_information: 'CBRN Information or Capabilities',
  confabulation: 'Confabulation',
  dangerous_violent_hateful_content: 'Dangerous, Violent, or Hateful Content',
  data_privacy: 'Data Privacy',
  environmental_impacts: 'Environmental Impacts',
  harmful_bias_homogenization: 'Harmful Bias or Homogenization',
  human_ai_configuration: 'Human-AI Configuration',
  information_integrity: 'Information Integrity',
  information_security: 'Information Security',
  intellectual_property: 'Intellectual Property',
  obscene_degrading_abusive_content: 'Obscene, Degrading, and/or Abusive Content',
  value_chain_component_integration: 'Value Chain and Component Integration',
};

export type Harm =
  'death' | 'health' | 'critical_infrastructure' | 'fundamental_rights' | 'property_environment' | 'other';
export const HARMS: Record<Harm, string> = {
  death: 'Death of a person',
  health: "Serious harm to a person's health",
  critical_infrastructure: 'Critical-infrastructure disruption',
  fundamental_rights: 'Fundamental-rights infringement',
  property_environment: 'Serious harm to property or the environment',
  other: 'Other',
};

export type DeploymentBreadth = 'single_deployment' | 'multiple_deployments' | 'member_state' | 'cross_border';
export const DEPLOYMENT_BREADTHS: Record<DeploymentBreadth, string> = {
  single_deployment: 'One deployment',
  multiple_deployments: 'Several deployments',
  member_state: 'A whole Member State',
  cross_border: 'Across borders',
};
