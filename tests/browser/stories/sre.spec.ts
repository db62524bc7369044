// Story 1: an SRE works an AI incident from the demo service's fault to its review, in the browser, against the real
// stack: Prometheus's rule fires, Alertmanager delivers, the receiver declares; people acknowledge, lead, contain with
// an approval, check the evidence, resolve, review and close.
import { testIds } from '../../../src/components/testIds';
import { env, expect, expectAccessible, screenshots, test } from '../fixtures';
import { APP, backend, incidentURL } from './helpers';

test.describe('an SRE', () => {
  test.use({ user: { login: 'alice', role: 'Editor' } });
  test.setTimeout(240_000);

  test('takes a hallucination incident from the alert to the closed review', async ({ page, pageAs, request }) => {
    // The demo AI service starts hallucinating; its rule fires and the incident appears in the queue by itself.
    expect((await request.post(`${env.demo}/faults/hallucination`)).status()).toBeLessThan(300);
    await page.goto(`${APP}/incidents?category=hallucination&severity=SEV1`);
    const link = page
      .getByTestId(testIds.incidents.table)
      .getByRole('link', { name: /supportbot: hallucination rate/i })
      .first();
    await expect(async () => {
      await page.getByRole('button', { name: 'Refresh', exact: true }).click();
      await expect(link).toBeVisible({ timeout: 2000 });
    }).toPass({ timeout: 90_000 });
    await expectAccessible(page);
    await screenshots(page, 'queue', page.getByTestId(testIds.incidents.table));
    await link.click();
    await expect(page).toHaveURL(/\/incidents\/[0-9a-f-]{36}/);
    const id = page.url().match(/incidents\/([0-9a-f-]{36})/)![1];
    const header = page.getByTestId(testIds.incident.header);
    await expect(header.getByText('SEV1', { exact: true }).first()).toBeVisible();

    // Acknowledge, then take the incident lead role.
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await expect(header.getByText('Acknowledged', { exact: true })).toBeVisible();
    expect((await backend(page, id)).incident.status).toBe('acknowledged');
    await page.getByRole('button', { name: 'Assign role' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Assign' }).click();
    await expect(header.getByText('Incident lead: alice')).toBeVisible();
    expect((await backend(page, id)).incident.roles.incident_lead).toBe('alice');
    await expectAccessible(page);
    await screenshots(page, 'incident', header);

    // Request the rollback; the requester may not approve it, and the page says why.
    await page.getByRole('tab', { name: 'Containment' }).click();
    const rollback = page.getByTestId(testIds.containment.action('rollback'));
    // Before pressing a kill switch: do they work? Their dry runs answer.
    await page.getByRole('button', { name: 'Check they work (dry runs)' }).click();
    await expect(page.getByTestId(testIds.containment.ready('rollback'))).toContainText('ready');
    await rollback.getByRole('button', { name: 'Request' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason').fill('v2 invents refund policies; roll back to v1');
    await dialog.getByRole('button', { name: 'Request' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(page.getByText('pending approval')).toBeVisible();
    await expect(page.getByTestId(testIds.containment.whyNot)).toContainText(/own/i);
    await expect(page.getByRole('button', { name: 'Approve' })).toBeDisabled();
    await expectAccessible(page);
    await screenshots(page, 'containment', rollback);

    // An Admin approves; the action runs after its evidence snapshot.
    const admin = await pageAs({ login: 'root', role: 'Admin' });
    await admin.goto(incidentURL(id, 'containment'));
    await admin.getByRole('button', { name: 'Approve' }).click();
    await admin.getByRole('dialog').getByLabel('Reason').fill('approved: rollback is safe');
    await admin.getByRole('dialog').getByRole('button', { name: 'Approve and run' }).click();
    await expect(admin.getByText('succeeded', { exact: true })).toBeVisible({ timeout: 30_000 });
    const status = await (await request.get(`${env.demo}/containment/status`)).json();
    expect(status.model_version).toBe('v1');

    // The evidence is listed and verified against the timeline.
    await page.getByRole('tab', { name: 'Evidence' }).click();
    await expect(page.getByTestId(testIds.evidence.list)).toBeVisible();
    await page.getByRole('button', { name: 'Verify' }).first().click();
    await expect(page.getByText('Verified: matches the timeline')).toBeVisible();
    await expectAccessible(page);
    await screenshots(page, 'evidence', page.getByTestId(testIds.evidence.list));

    // The triggering metric, with the containment among the incident's moments; the rule's condition clears.
    await page.getByRole('tab', { name: 'Alerts & metrics' }).click();
    const panel = page.getByTestId(testIds.incident.metricPanel).first();
    await expect(panel).toBeVisible();
    await expect(panel.getByText('AIHallucinationRateHigh')).toBeVisible();
    await expect(panel.locator('canvas').first()).toBeVisible({ timeout: 20_000 });
    // The incident's moments reached the panel as annotations, the containment among them.
    await expect(panel.getByRole('list', { name: 'Annotations' })).toContainText('Containment succeeded');
    const detail = await backend(page, id);
    const expr = new URL(detail.alerts[0].generator_url).searchParams.get('g0.expr')!;
    await expect(async () => {
      const r = await (await request.get(`${env.prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`)).json();
      expect(r.data.result, 'the rule condition after the rollback').toEqual([]);
    }).toPass({ timeout: 90_000 });
    await expectAccessible(page);
    await screenshots(page, 'metrics', panel);

    // Resolve as the lead, write the review beside the metric, close.
    await page.getByRole('button', { name: 'Resolve' }).click();
    await page.getByRole('dialog').getByLabel('Reason').fill('rolled back; hallucination rate normal');
    await page.getByRole('dialog').getByRole('button', { name: 'Resolve' }).click();
    await expect(header.getByText('Resolved', { exact: true })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Close' })).toBeDisabled();

    await page.getByRole('tab', { name: 'Review' }).click();
    const form = page.getByTestId(testIds.review.form);
    await expect(form.getByText(/Review missing/)).toBeVisible();
    // The times come pre-filled from the incident (first alert, declaration).
    await form.getByLabel('Impact', { exact: true }).fill('Customers were told refunds are free');
    await form.getByLabel('Who and what was affected').fill('About 40 chats with supportbot');
    await form.getByLabel('Root cause class').click();
    await page.getByRole('option', { name: 'model defect' }).click();
    await form.getByLabel('Root cause', { exact: true }).fill('v2 was fine-tuned on an outdated policy corpus');
    await form.getByRole('button', { name: 'Add action' }).click();
    await form.getByLabel('Action 1', { exact: true }).fill('Grounding check before answers about money');
    await form.getByLabel('Owner of action 1').fill('bob');
    await form.getByLabel('Due date of action 1').fill('2027-01-31');
    await form.getByLabel('Playbook changes').fill('Roll back first, debug second');
    await form.getByLabel('Regulatory follow-up').fill('none');
    await form.getByRole('button', { name: 'Save review' }).click();
    await expect(form.getByText('Saved.')).toBeVisible();
    await expect(form.getByText(/Review missing/)).toHaveCount(0);
    await expectAccessible(page);
    await screenshots(page, 'review', form);

    await page.getByRole('button', { name: 'Close' }).click();
    await expect(header.getByText('Closed', { exact: true })).toBeVisible();
    const closed = await backend(page, id);
    expect(closed.incident.status).toBe('closed');
    expect(closed.incident.review.action_items[0].owner).toBe('bob');
    const verify = await (
      await page.request.get(`/api/plugins/firebreak-incident-app/resources/incidents/${id}/verify`)
    ).json();
    expect(verify.intact).toBe(true);
    await expect(page.getByTestId(testIds.incident.chain)).toContainText(/Verified|intact/);
  });
});
