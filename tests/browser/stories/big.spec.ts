// A big incident: one Alertmanager notification with 10,000 alerts (a whole cluster's worth). The page stays light:
// the detail carries a summary and the first pages; the rest comes page by page as the responder asks.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { testIds } from '../../../src/components/testIds';
import { env, expect, test } from '../fixtures';
import { incidentURL, RESOURCES, unique } from './helpers';

const ALERTS = 10_000;

test.describe('a responder', () => {
  test.use({ user: { login: 'alice', role: 'Editor' } });
  test.setTimeout(120_000);

  test('opens an incident of 10,000 alerts and pages through them', async ({ page, request }) => {
    const group = unique('big-group');
    const start = new Date(Date.now() - 60_000).toISOString();
    const alerts = Array.from({ length: ALERTS }, (_, i) => ({
      status: 'firing',
      fingerprint: `${group}-${i}`,
      startsAt: start,
      labels: {
        alertname: 'AIPromptInjectionDetected',
        ai_system: 'supportbot',
        severity: 'warning',
        pod: `bot-${i % 40}`,
        region: i % 2 ? 'eu' : 'us',
      },
      annotations: { summary: `Injection attempts on supportbot (${group})` },
      generatorURL: 'http://prometheus/graph?g0.expr=increase(demo_prompt_injections_detected_total%5B30s%5D)+%3E+0',
    }));
    const token = readFileSync(path.join(env.dir, 'receiver-token'), 'utf8').trim();
    const res = await request.post(`${env.receiver}/api/v1/webhook`, {
      headers: { Authorization: `Bearer ${token}` },
      data: {
        version: '4',
        status: 'firing',
        receiver: 'firebreak',
        groupKey: group,
        alerts,
        commonLabels: {},
        commonAnnotations: {},
      },
    });
    expect(res.status(), await res.text()).toBe(200);

    // Found by its title once stored (about 2 s for 10,000 alerts).
    let id = '';
    await expect(async () => {
      const list = await (await page.request.get(`${RESOURCES}/incidents?q=${encodeURIComponent(group)}`)).json();
      expect(list.incidents).toHaveLength(1);
      expect(list.incidents[0].alert_count).toBe(ALERTS);
      id = list.incidents[0].incident_id;
    }).toPass({ timeout: 60_000 });

    const detail = page.waitForResponse(
      (r) =>
        r.url().includes(`/resources/incidents/${id}`) && !r.url().includes('/verify') && r.request().method() === 'GET'
    );
    await page.goto(incidentURL(id, 'metrics'));
    const body = await (await detail).body();
    expect(body.length, 'the detail answer stays small').toBeLessThan(1_000_000);
    await expect(page.getByText(`${ALERTS} alerts:`)).toBeVisible();
    await expect(page.getByText(`${ALERTS} firing`)).toBeVisible();
    await expect(page.getByText(/pod.*\(40 values\)/)).toBeVisible();
    await expect(page.getByText(`Alerts (100 of ${ALERTS})`)).toBeVisible();
    await page.getByRole('button', { name: 'Show more alerts' }).click();
    await expect(page.getByText(`Alerts (200 of ${ALERTS})`)).toBeVisible();

    // The timeline pages as it scrolls.
    await page.getByRole('tab', { name: 'Timeline' }).click();
    const timeline = page.getByTestId(testIds.incident.timeline);
    await expect(page.getByText(/500 of 100\d\d events/)).toBeVisible();
    await timeline.hover();
    await expect(async () => {
      await page.mouse.wheel(0, 20_000);
      await expect(page.getByText(/1000 of 100\d\d events/)).toBeVisible({ timeout: 1000 });
    }).toPass({ timeout: 30_000 });
  });
});
