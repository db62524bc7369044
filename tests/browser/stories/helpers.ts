// What the stories share: the app's URLs, declaring an incident through the plugin's API as a user, reading the
// backend's view of an incident (the effect a story asserts next to the text it sees).
import { APIRequestContext, expect, Page } from '@playwright/test';

export const APP = '/a/firebreak-incident-app';
export const RESOURCES = '/api/plugins/firebreak-incident-app/resources';
export const incidentURL = (id: string, tab?: string) => `${APP}/incidents/${id}${tab ? `?tab=${tab}` : ''}`;

// A title no other story or run uses.
export const unique = (what: string) => `${what} ${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

// declare opens an incident by hand as the page's user and returns its id.
export async function declare(request: APIRequestContext, body: Record<string, unknown>): Promise<string> {
  const res = await request.post(`${RESOURCES}/incidents`, {
    data: {
      severity: 'SEV2',
      category: 'hallucination',
      ai_system: 'supportbot',
      description: '',
      reported_via: 'support',
      drill: false,
      ...body,
    },
  });
  expect(res.status(), await res.text()).toBe(200);
  return (await res.json()).incident.incident_id;
}

// backend reads an incident as the page's user (read-your-writes: the plugin waits for the user's own changes).
export async function backend(page: Page, id: string) {
  const res = await page.request.get(`${RESOURCES}/incidents/${id}`);
  expect(res.status()).toBe(200);
  return res.json();
}
