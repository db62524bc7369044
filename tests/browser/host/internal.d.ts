// Grafana's chrome installs its PluginPage through setPluginPage, which @grafana/runtime does not export; the host's
// esbuild build (../server.mjs) maps this name to the runtime's own module, so the runtime's PluginPage is replaced.
declare module 'grafana-runtime-internal/PluginPage' {
  import type { ComponentType } from 'react';
  import type { PluginPageProps } from '@grafana/runtime';
  export function setPluginPage(component: ComponentType<PluginPageProps>): void;
}
