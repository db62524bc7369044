// Settings of the app, stored by Grafana and handed to the backend
// (pkg/plugin/settings.go) as JSONData / DecryptedSecureJSONData.

export const SEVERITIES = ['SEV1', 'SEV2', 'SEV3'] as const;

export type Severity = (typeof SEVERITIES)[number];

export interface ClickHouseSettings {
  // Native-protocol address, host:port (e.g. clickhouse:9000). Required.
  address?: string;
  // Default firebreak.
  database?: string;
  // Default default.
  user?: string;
  tls?: boolean;
  tlsSkipVerify?: boolean;
}

export interface ReceiverSettings {
  // http(s) URL of the Firebreak receiver (e.g. http://receiver:9095). Required: the plugin sends people's
  // changes through the receiver's command API.
  url?: string;
}

// Go durations (15m, 4h, 1h30m); absent or empty means the default target.
export interface SLATarget {
  acknowledge?: string;
  contain?: string;
}

export interface EscalationContact {
  name: string;
  role: string;
}

export const ACTION_KINDS = [
  'disable_feature',
  'rollback_model',
  'restrict_inputs',
  'require_human_review',
  'revoke_access',
  'custom',
] as const;

export const SUBMITTER_ROLES = ['provider', 'deployer', 'authorised_representative'] as const;
export type SubmitterRole = (typeof SUBMITTER_ROLES)[number];

// What does not change about an AI system for its regulatory reports (pkg/report AISystemFacts); every field is
// optional, and what is missing is left for a person to fill in the report.
export interface AISystemFacts {
  name?: string;
  provider?: string;
  registrationId?: string;
  authority?: string;
  submitterRole?: SubmitterRole;
  contact?: string;
}

// A containment action of an AI system (pkg/containment/catalog.go). Its HMAC secret is in secureJsonData under
// containmentSecretKey(system, id).
export interface ContainmentAction {
  id: string;
  kind: (typeof ACTION_KINDS)[number];
  label: string;
  method?: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeout?: string;
  requiresApproval?: boolean;
  requestRoles?: string[];
  dryRunUrl?: string;
  statusUrl?: string;
  retries?: number;
  idempotent?: boolean;
}

export function containmentSecretKey(system: string, id: string): string {
  return `containment.${system}.${id}.secret`;
}

export interface AppSettings {
  clickhouse?: ClickHouseSettings;
  receiver?: ReceiverSettings;
  sla?: Partial<Record<Severity, SLATarget>>;
  escalation?: Partial<Record<Severity, EscalationContact[]>>;
  // Where evidence snapshots evaluate the alerts' expressions (url, for the backend), and the Grafana data source
  // the incident page draws them with (datasourceUid).
  prometheus?: { url?: string; datasourceUid?: string };
  // The receiver's Ed25519 public key, which verify checks the signed chain heads with.
  signing?: { publicKey?: string };
  // AI system (the incidents' ai_system) -> its containment actions.
  containment?: Record<string, ContainmentAction[]>;
  // AI system (the incidents' ai_system) -> the facts its regulatory reports cite.
  aiSystems?: Record<string, AISystemFacts>;
}

export interface AppSecureSettings {
  clickhousePassword?: string;
  // The receiver's --api-token-file content.
  receiverApiToken?: string;
}

export type AppSecureSettingKey = keyof AppSecureSettings;
