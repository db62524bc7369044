import pluginJson from './plugin.json';

export const PLUGIN_ID = pluginJson.id;

export const PLUGIN_BASE_URL = `/a/${PLUGIN_ID}`;

// Base path of the backend's resource routes (pkg/plugin).
export const RESOURCES_URL = `/api/plugins/${PLUGIN_ID}/resources`;

export enum ROUTES {
  Incidents = 'incidents',
  Incident = 'incidents', // incidents/<id>
  Declare = 'declare',
  Overview = 'overview',
  Readiness = 'readiness',
}

// Prefixes a route with the base URL of the plugin.
export function prefixRoute(route: string): string {
  return `${PLUGIN_BASE_URL}/${route}`;
}
