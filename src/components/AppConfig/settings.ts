// The configuration form's model: reading the saved settings, checking them the way the backend does
// (pkg/plugin/settings.go) and turning them back into jsonData and secureJsonData.
import { KeyValue } from '@grafana/data';
import {
  ACTION_KINDS,
  AISystemFacts,
  AppSecureSettingKey,
  AppSecureSettings,
  AppSettings,
  ContainmentAction,
  containmentSecretKey,
  EscalationContact,
  SEVERITIES,
  Severity,
  SLATarget,
  SUBMITTER_ROLES,
} from '../../types';

export const DEFAULT_DATABASE = 'firebreak';
export const DEFAULT_USER = 'default';

// The backend's incident.DefaultSLATargets(); an empty string is no target.
export const DEFAULT_SLA: Record<Severity, Required<SLATarget>> = {
  SEV1: { acknowledge: '15m', contain: '4h' },
  SEV2: { acknowledge: '4h', contain: '24h' },
  SEV3: { acknowledge: '72h', contain: '' },
};

export const SLA_FIELDS = ['acknowledge', 'contain'] as const;
export type SLAField = (typeof SLA_FIELDS)[number];

export const SECRET_KEYS: AppSecureSettingKey[] = ['clickhousePassword', 'receiverApiToken'];

// A Go duration as time.ParseDuration reads it (without sign): 15m, 4h, 1h30m, 1.5h.
export const GO_DURATION = /^(\d+(\.\d+)?(ns|us|µs|μs|ms|s|m|h))+$/;

export interface SecretState {
  // What was typed in; Grafana never sends a stored secret back.
  value: string;
  // Grafana stores a value for it (secureJsonFields).
  stored: boolean;
  // Shown as configured: stored and not reset. Only a secret that is not configured is sent on save.
  configured: boolean;
}

// A row of a list the page edits (escalation contacts, AI systems): its values and a React key, which is not saved.
export type Row<T> = T & { key: number };

export type ContactRow = Row<EscalationContact>;

// The facts of an AI system the page edits, in the order of the form (pkg/report AISystemFacts).
export const AI_SYSTEM_FIELDS = [
  'name',
  'provider',
  'registrationId',
  'authority',
  'submitterRole',
  'contact',
] as const;
export type AISystemField = (typeof AI_SYSTEM_FIELDS)[number];

// The backend's limits (pkg/plugin parseAISystems), in bytes of UTF-8 as Go's len counts them.
export const AI_SYSTEM_KEY_MAX = 200;
export const AI_SYSTEM_VALUE_MAX = 1000;

export type AISystemRow = Row<
  Record<AISystemField, string> & {
    // The ai_system label value of the incidents the facts are for: the key in jsonData.aiSystems.
    system: string;
    // Fields of the saved settings that the backend refuses (unknown, or not text): saving waits until they are
    // dropped.
    unknown: string[];
  }
>;

export interface FormState {
  address: string;
  database: string;
  user: string;
  tls: boolean;
  tlsSkipVerify: boolean;
  receiverUrl: string;
  sla: Record<Severity, Record<SLAField, string>>;
  escalation: Record<Severity, ContactRow[]>;
  aiSystems: AISystemRow[];
  secrets: Record<AppSecureSettingKey, SecretState>;
  prometheusUrl: string;
  // The Grafana Prometheus data source the incident page draws the triggering metrics with (its uid).
  prometheusDatasourceUid: string;
  // The containment catalog as JSON text: AI system -> actions.
  catalog: string;
  // HMAC secrets of the catalog's actions, by secureJsonData key (containment.<system>.<id>.secret).
  containmentSecrets: Record<string, SecretState>;
  // The jsonData as loaded: keys this page does not edit are saved back unchanged.
  loaded: AppSettings;
}

export interface ValidationError {
  // Which input: see fieldKey.
  field: string;
  // How the summary names it, e.g. "ClickHouse address".
  label: string;
  message: string;
}

let nextRowKey = 0;

export function newRow<T extends object>(values: T): Row<T> {
  nextRowKey += 1;
  return { ...values, key: nextRowKey };
}

// The rows with the one of this key changed.
export function patchRow<T extends object>(rows: Array<Row<T>>, key: number, patch: Partial<T>): Array<Row<T>> {
  return rows.map((r) => (r.key === key ? { ...r, ...patch } : r));
}

export function removeRow<T extends object>(rows: Array<Row<T>>, key: number): Array<Row<T>> {
  return rows.filter((r) => r.key !== key);
}

export function newContactRow(contact: Partial<EscalationContact> = {}): ContactRow {
  return newRow({ name: contact.name ?? '', role: contact.role ?? '' });
}

export function newAISystemRow(
  system = '',
  facts: Partial<Record<AISystemField, string>> = {},
  unknown: string[] = []
) {
  const values = Object.fromEntries(AI_SYSTEM_FIELDS.map((f) => [f, facts[f] ?? ''])) as Record<AISystemField, string>;
  return newRow({ system, ...values, unknown });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// The rows of the saved jsonData.aiSystems, in its order. What the backend would refuse is named in the row's unknown
// (a null is what Go's decoder reads as empty: accepted). Anything but an object is no rows: saving replaces it.
function aiSystemRows(saved: unknown): AISystemRow[] {
  if (!isObject(saved)) {
    return [];
  }
  return Object.entries(saved).map(([system, facts]) => {
    if (facts === null) {
      return newAISystemRow(system);
    }
    if (!isObject(facts)) {
      return newAISystemRow(system, {}, ['(not an object)']);
    }
    const known: Partial<Record<AISystemField, string>> = {};
    const unknown: string[] = [];
    for (const [key, value] of Object.entries(facts)) {
      // Go's decoder matches a field's name in any case; it is saved back in the documented one.
      const field = AI_SYSTEM_FIELDS.find((f) => f.toLowerCase() === key.toLowerCase());
      if (!field) {
        unknown.push(key);
      } else if (typeof value === 'string') {
        known[field] = value;
      } else if (value !== null) {
        unknown.push(`${key} (not text)`);
      }
    }
    return newAISystemRow(system, known, unknown);
  });
}

function bySeverity<T>(f: (sev: Severity) => T): Record<Severity, T> {
  return Object.fromEntries(SEVERITIES.map((sev) => [sev, f(sev)])) as Record<Severity, T>;
}

// The form's starting state from the saved plugin settings. Absent database and user show their defaults; absent
// SLA targets stay empty (the input shows the default as placeholder), so that empty keeps meaning "the default".
export function toFormState(
  jsonData: AppSettings | undefined,
  secureJsonFields: KeyValue<boolean> | undefined
): FormState {
  const ch = jsonData?.clickhouse ?? {};
  const secret = (key: AppSecureSettingKey): SecretState => {
    const stored = Boolean(secureJsonFields?.[key]);
    return { value: '', stored, configured: stored };
  };
  return {
    address: ch.address ?? '',
    database: ch.database || DEFAULT_DATABASE,
    user: ch.user || DEFAULT_USER,
    tls: Boolean(ch.tls),
    tlsSkipVerify: Boolean(ch.tlsSkipVerify),
    receiverUrl: jsonData?.receiver?.url ?? '',
    sla: bySeverity((sev) => ({
      acknowledge: jsonData?.sla?.[sev]?.acknowledge ?? '',
      contain: jsonData?.sla?.[sev]?.contain ?? '',
    })),
    escalation: bySeverity((sev) => (jsonData?.escalation?.[sev] ?? []).map((c) => newContactRow(c))),
    aiSystems: aiSystemRows(jsonData?.aiSystems),
    secrets: { clickhousePassword: secret('clickhousePassword'), receiverApiToken: secret('receiverApiToken') },
    prometheusUrl: jsonData?.prometheus?.url ?? '',
    prometheusDatasourceUid: jsonData?.prometheus?.datasourceUid ?? '',
    catalog: jsonData?.containment ? JSON.stringify(jsonData.containment, null, 2) : '',
    containmentSecrets: Object.fromEntries(
      Object.keys(secureJsonFields ?? {})
        .filter((key) => key.startsWith('containment.'))
        .map((key) => [key, secret(key as AppSecureSettingKey)])
    ),
    loaded: jsonData ?? {},
  };
}

// The state of an action's secret: none typed and none stored unless the form knows better.
export function containmentSecret(form: FormState, key: string): SecretState {
  return form.containmentSecrets[key] ?? { value: '', stored: false, configured: false };
}

export interface ParsedCatalog {
  catalog?: Record<string, ContainmentAction[]>;
  // The secureJsonData keys of the actions' secrets, with the action they belong to.
  actions: Array<{ system: string; action: ContainmentAction; secretKey: string }>;
  error?: string;
}

const ACTION_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

function isHttpUrl(v: unknown): boolean {
  if (typeof v !== 'string') {
    return false;
  }
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && Boolean(u.hostname);
  } catch {
    return false;
  }
}

// Reads the catalog text with the checks the page can make; the backend's health check makes all of them
// (pkg/containment ParseCatalog) and names the field.
export function parseCatalog(text: string): ParsedCatalog {
  if (!text.trim()) {
    return { actions: [] };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { actions: [], error: `not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { actions: [], error: 'must be a JSON object: {"<ai_system>": [actions]}' };
  }
  const actions: ParsedCatalog['actions'] = [];
  for (const [system, list] of Object.entries(value)) {
    if (!Array.isArray(list)) {
      return { actions: [], error: `${system}: must be a list of actions` };
    }
    const seen = new Set<string>();
    for (const [i, a] of list.entries()) {
      const where = `${system}[${i}]`;
      if (typeof a !== 'object' || a === null) {
        return { actions: [], error: `${where}: must be an object` };
      }
      const action = a as ContainmentAction;
      if (typeof action.id !== 'string' || !ACTION_ID.test(action.id)) {
        return { actions: [], error: `${where}.id: use 1-63 lower-case letters, digits, - and _` };
      }
      if (seen.has(action.id)) {
        return { actions: [], error: `${where}.id: "${action.id}" is used twice` };
      }
      seen.add(action.id);
      if (!ACTION_KINDS.includes(action.kind)) {
        return { actions: [], error: `${where}.kind: one of ${ACTION_KINDS.join(', ')}` };
      }
      if (typeof action.label !== 'string' || !action.label.trim()) {
        return { actions: [], error: `${where}.label: required` };
      }
      for (const field of ['url', 'dryRunUrl', 'statusUrl'] as const) {
        if ((field === 'url' || action[field] !== undefined) && !isHttpUrl(action[field])) {
          return { actions: [], error: `${where}.${field}: not an http(s) URL` };
        }
      }
      actions.push({ system, action, secretKey: containmentSecretKey(system, action.id) });
    }
  }
  return { catalog: value as Record<string, ContainmentAction[]>, actions };
}

export const fieldKey = {
  prometheusUrl: 'prometheus.url',
  catalog: 'containment',
  containmentSecret: (secretKey: string) => secretKey,
  address: 'clickhouse.address',
  database: 'clickhouse.database',
  receiverUrl: 'receiver.url',
  receiverApiToken: 'receiverApiToken',
  sla: (sev: Severity, field: SLAField) => `sla.${sev}.${field}`,
  contactName: (sev: Severity, index: number) => `escalation.${sev}.${index}.name`,
  aiSystem: (index: number, field: AISystemField | 'system' | 'unknown') => `aiSystems.${index}.${field}`,
};

// host:port with a numeric port; the host may be a bracketed IPv6 address.
const HOST_PORT = /^(\[[0-9A-Za-z:.%]+\]|[^\s:[\]/@]+):(\d{1,5})$/;

export function validateAddress(value: string): string | undefined {
  const v = value.trim();
  if (!v) {
    return 'Required: host:port of the ClickHouse native protocol, e.g. clickhouse:9000';
  }
  const m = HOST_PORT.exec(v);
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) {
    return `"${v}" is not host:port, e.g. clickhouse:9000`;
  }
  return undefined;
}

export function validateDatabase(value: string): string | undefined {
  const v = value.trim();
  if (v && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) {
    return `"${v}": use letters, digits and _ only, not starting with a digit`;
  }
  return undefined;
}

export function validateReceiverUrl(value: string): string | undefined {
  const v = value.trim();
  if (!v) {
    return 'Required: the http(s) URL of the Firebreak receiver, e.g. http://receiver:9095';
  }
  let url: URL | undefined;
  try {
    url = new URL(v);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    return `"${v}" is not an http(s) URL, e.g. http://receiver:9095`;
  }
  return undefined;
}

export function validateDuration(value: string): string | undefined {
  const v = value.trim();
  if (v && !GO_DURATION.test(v)) {
    return `"${v}" is not a duration like 15m, 4h or 1h30m`;
  }
  return undefined;
}

const SLA_LABEL: Record<SLAField, string> = { acknowledge: 'acknowledge', contain: 'contain' };

// How the page names an AI system's inputs after the system (aria-label, the summary): "supportbot provider".
export const AI_SYSTEM_INPUT_NAMES: Record<AISystemField, string> = {
  name: 'display name',
  provider: 'provider',
  registrationId: 'EU database registration id',
  authority: 'market surveillance authority',
  submitterRole: 'submitter role',
  contact: 'contact',
};

// The row's system as typed, or its place while it has none.
export function aiSystemName(row: AISystemRow, index: number): string {
  return row.system.trim() || `AI system ${index + 1}`;
}

// A row the user left empty: dropped on save.
export function isBlankAISystem(row: AISystemRow): boolean {
  return !row.system.trim() && AI_SYSTEM_FIELDS.every((f) => !row[f].trim()) && row.unknown.length === 0;
}

// The length Go's len gives the text once saved as JSON: its UTF-8 bytes (a lone surrogate becomes U+FFFD, 3).
export function utf8Length(text: string): number {
  let n = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}

export function validateLength(text: string, max: number): string | undefined {
  const bytes = utf8Length(text);
  if (bytes <= max) {
    return undefined;
  }
  return bytes === text.length
    ? `Too long: ${bytes} characters, at most ${max}`
    : `Too long: ${bytes} bytes of UTF-8 (letters outside ASCII count 2 to 4), at most ${max}`;
}

export function validateSubmitterRole(role: string): string | undefined {
  return role && !(SUBMITTER_ROLES as readonly string[]).includes(role)
    ? `"${role}" is not one of ${SUBMITTER_ROLES.join(', ')}`
    : undefined;
}

// The checks of pkg/plugin parseAISystems on what toJsonData saves (trimmed, blank rows dropped), plus one the JSON
// object cannot make itself: a system given twice.
function validateAISystems(rows: AISystemRow[], add: (field: string, label: string, message?: string) => void) {
  const first = new Map<string, number>();
  rows.forEach((row, i) => {
    if (isBlankAISystem(row)) {
      return;
    }
    const name = aiSystemName(row, i);
    const system = row.system.trim();
    const systemField = fieldKey.aiSystem(i, 'system');
    if (!system) {
      add(systemField, name, 'Required: the ai_system label value of the incidents these facts are for');
    } else if (first.has(system)) {
      add(systemField, `AI system ${i + 1}`, `"${system}" is already AI system ${first.get(system)! + 1}`);
    } else {
      first.set(system, i);
      add(systemField, `AI system ${i + 1}`, validateLength(system, AI_SYSTEM_KEY_MAX));
    }
    for (const field of AI_SYSTEM_FIELDS) {
      const value = row[field].trim();
      const message =
        field === 'submitterRole' ? validateSubmitterRole(value) : validateLength(value, AI_SYSTEM_VALUE_MAX);
      add(fieldKey.aiSystem(i, field), `${name} ${AI_SYSTEM_INPUT_NAMES[field]}`, message);
    }
    if (row.unknown.length > 0) {
      add(
        fieldKey.aiSystem(i, 'unknown'),
        name,
        `Saved fields the backend refuses: ${row.unknown.join(', ')}. Drop them to save`
      );
    }
  });
}

// Every problem that would make the backend refuse the settings, in the order of the form.
export function validate(form: FormState): ValidationError[] {
  const errors: ValidationError[] = [];
  const add = (field: string, label: string, message: string | undefined) => {
    if (message) {
      errors.push({ field, label, message });
    }
  };
  add(fieldKey.address, 'ClickHouse address', validateAddress(form.address));
  add(fieldKey.database, 'ClickHouse database', validateDatabase(form.database));
  add(fieldKey.receiverUrl, 'Receiver URL', validateReceiverUrl(form.receiverUrl));
  const token = form.secrets.receiverApiToken;
  if (!token.configured && !token.value.trim()) {
    add(fieldKey.receiverApiToken, 'Receiver API token', "Required: the receiver's --api-token-file content");
  }
  for (const sev of SEVERITIES) {
    for (const field of SLA_FIELDS) {
      add(fieldKey.sla(sev, field), `${sev} ${SLA_LABEL[field]} target`, validateDuration(form.sla[sev][field]));
    }
  }
  for (const sev of SEVERITIES) {
    form.escalation[sev].forEach((row, i) => {
      if (!row.name.trim() && row.role.trim()) {
        add(fieldKey.contactName(sev, i), `${sev} escalation contact ${i + 1}`, 'Name is required');
      }
    });
  }
  validateAISystems(form.aiSystems, add);
  const prom = form.prometheusUrl.trim();
  if (prom && !isHttpUrl(prom)) {
    add(fieldKey.prometheusUrl, 'Prometheus URL', `"${prom}" is not an http(s) URL, e.g. http://prometheus:9090`);
  }
  const parsed = parseCatalog(form.catalog);
  add(fieldKey.catalog, 'Containment catalog', parsed.error);
  for (const { system, action, secretKey } of parsed.actions) {
    const secret = containmentSecret(form, secretKey);
    if (!secret.configured && !secret.value.trim()) {
      add(
        fieldKey.containmentSecret(secretKey),
        `Secret of ${system}/${action.id}`,
        'Required: the HMAC key the endpoint checks'
      );
    }
  }
  return errors;
}

// jsonData.aiSystems: each row's trimmed system and its facts, an empty fact left out (the report marks it to fill).
function aiSystemsJson(rows: AISystemRow[]): Record<string, AISystemFacts> {
  return Object.fromEntries(
    rows
      .filter((row) => !isBlankAISystem(row))
      .map((row) => [
        row.system.trim(),
        Object.fromEntries(AI_SYSTEM_FIELDS.map((f) => [f, row[f].trim()]).filter(([, v]) => v)) as AISystemFacts,
      ])
  );
}

// The jsonData the backend reads. Empty SLA targets are left out (the default applies); blank contact and AI system
// rows are dropped.
export function toJsonData(form: FormState): AppSettings {
  const sla: Partial<Record<Severity, SLATarget>> = {};
  for (const sev of SEVERITIES) {
    const target: SLATarget = {};
    for (const field of SLA_FIELDS) {
      const v = form.sla[sev][field].trim();
      if (v) {
        target[field] = v;
      }
    }
    if (Object.keys(target).length > 0) {
      sla[sev] = target;
    }
  }
  const { prometheus: _prometheus, containment: _containment, aiSystems: _aiSystems, ...kept } = form.loaded;
  const prometheusUrl = form.prometheusUrl.trim().replace(/\/+$/, '');
  const datasourceUid = form.prometheusDatasourceUid;
  const catalog = parseCatalog(form.catalog).catalog;
  const aiSystems = aiSystemsJson(form.aiSystems);
  return {
    ...kept,
    ...(prometheusUrl || datasourceUid
      ? {
          prometheus: { ...(prometheusUrl ? { url: prometheusUrl } : {}), ...(datasourceUid ? { datasourceUid } : {}) },
        }
      : {}),
    ...(catalog && Object.keys(catalog).length > 0 ? { containment: catalog } : {}),
    ...(Object.keys(aiSystems).length > 0 ? { aiSystems } : {}),
    clickhouse: {
      address: form.address.trim(),
      database: form.database.trim() || DEFAULT_DATABASE,
      user: form.user.trim() || DEFAULT_USER,
      tls: form.tls,
      tlsSkipVerify: form.tls && form.tlsSkipVerify,
    },
    receiver: { url: form.receiverUrl.trim().replace(/\/+$/, '') },
    sla,
    escalation: bySeverity((sev) =>
      form.escalation[sev]
        .map((row) => ({ name: row.name.trim(), role: row.role.trim() }))
        .filter((c) => c.name || c.role)
    ),
  };
}

// The secrets to send: only those typed in, or reset (a reset secret left empty is cleared). A configured secret is
// never sent again, and undefined means none changed.
export function toSecureJsonData(form: FormState): AppSecureSettings | undefined {
  const out: AppSecureSettings = {};
  for (const key of SECRET_KEYS) {
    const s = form.secrets[key];
    // Tokens are compared exactly by the receiver, which trims its file; passwords are kept as typed.
    const value = key === 'receiverApiToken' ? s.value.trim() : s.value;
    if (!s.configured && (value !== '' || s.stored)) {
      out[key] = value;
    }
  }
  const secure = out as Record<string, string>;
  for (const { secretKey } of parseCatalog(form.catalog).actions) {
    const s = containmentSecret(form, secretKey);
    if (!s.configured && (s.value.trim() !== '' || s.stored)) {
      secure[secretKey] = s.value.trim();
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
