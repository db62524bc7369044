// Settings of the app, stored by Grafana and handed to the backend
// (pkg/plugin) as JSONData / DecryptedSecureJSONData.

export interface AppSettings {
  // ClickHouse native-protocol address, host:port (e.g. clickhouse:9000).
  clickhouseAddress?: string;
  clickhouseDatabase?: string;
  clickhouseUser?: string;
}

export interface AppSecureSettings {
  clickhousePassword?: string;
}

export type AppSecureSettingKey = keyof AppSecureSettings;
