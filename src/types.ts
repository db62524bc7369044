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

export interface AppSettings {
  clickhouse?: ClickHouseSettings;
  receiver?: ReceiverSettings;
  sla?: Partial<Record<Severity, SLATarget>>;
  escalation?: Partial<Record<Severity, EscalationContact[]>>;
}

export interface AppSecureSettings {
  clickhousePassword?: string;
  // The receiver's --api-token-file content.
  receiverApiToken?: string;
}

export type AppSecureSettingKey = keyof AppSecureSettings;
