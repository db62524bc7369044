// Stories 2-5: two responders at once, a Viewer, bad input, a drill.
import { testIds } from '../../../src/components/testIds';
import { expect, expectAccessible, screenshots, test } from '../fixtures';
import { APP, backend, declare, incidentURL, RESOURCES, unique } from './helpers';

test.describe('two responders', () => {
  test.use({ user: { login: 'alice', role: 'Editor' } });

  test('acknowledge at once: one wins, the other sees the conflict and the new state', async ({
    page,
    pageAs,
    expectHttpError,
  }) => {
    const id = await declare(page.request, { title: unique('Two at once') });
    const bob = await pageAs({ login: 'bob', role: 'Editor' });
    await Promise.all([page.goto(incidentURL(id)), bob.goto(incidentURL(id))]);
    const ackAlice = page.getByRole('button', { name: 'Acknowledge' });
    const ackBob = bob.getByRole('button', { name: 'Acknowledge' });
    await Promise.all([expect(ackAlice).toBeEnabled(), expect(ackBob).toBeEnabled()]);
    expectHttpError(/\/acknowledge$/, 409);
    await Promise.all([ackAlice.click(), ackBob.click()]);

    const conflict = [page, bob].map((p) => p.getByText('Someone else got there first'));
    await expect(async () => {
      const seen = await Promise.all(conflict.map((c) => c.count()));
      expect(seen.reduce((a, b) => a + b)).toBe(1);
    }).toPass();
    for (const p of [page, bob]) {
      await expect(p.getByTestId(testIds.incident.header).getByText('Acknowledged', { exact: true })).toBeVisible();
    }
    const acks = (await backend(page, id)).timeline.filter((e: { kind: string }) => e.kind === 'acknowledged');
    expect(acks).toHaveLength(1);
  });
});

test.describe('a Viewer', () => {
  test.use({ user: { login: 'vic', role: 'Viewer' } });

  test('sees everything and can change nothing', async ({ page, pageAs }) => {
    const alice = await pageAs({ login: 'alice', role: 'Editor' });
    const id = await declare(alice.request, { title: unique('Seen by a viewer'), severity: 'SEV1' });
    await page.goto(incidentURL(id));
    const header = page.getByTestId(testIds.incident.header);
    await expect(header.getByText('SEV1', { exact: true }).first()).toBeVisible();
    for (const name of ['Acknowledge', 'Mark contained', 'Resolve']) {
      await expect(page.getByRole('button', { name })).toBeDisabled();
    }
    await expect(page.getByRole('textbox', { name: 'Note' })).toBeDisabled();
    await expect(page.getByText(/viewers can read incidents but not change them/).first()).toBeVisible();
    await page.getByRole('tab', { name: 'Containment' }).click();
    for (const b of await page.getByTestId(testIds.containment.actions).getByRole('button').all()) {
      await expect(b).toBeDisabled();
    }
    await page.getByRole('tab', { name: 'Review' }).click();
    await expect(page.getByRole('button', { name: 'Save review' })).toBeDisabled();
    await expectAccessible(page);
    await screenshots(page, 'incident-viewer', page.getByTestId(testIds.review.form));

    // The server is the authority: the same change sent anyway is refused, and nothing was recorded.
    const res = await page.request.post(`${RESOURCES}/incidents/${id}/acknowledge`);
    expect(res.status()).toBe(403);
    expect((await backend(alice, id)).incident.status).toBe('declared');

    await page.goto(`${APP}/declare`);
    await expect(page.getByText('Viewers cannot declare incidents')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Declare incident' })).toBeDisabled();
  });
});

test.describe('bad input', () => {
  test.use({ user: { login: 'alice', role: 'Editor' } });

  test('gets a message next to the field, and what was typed stays', async ({ page }) => {
    await page.goto(`${APP}/declare`);
    const form = page.getByTestId(testIds.declare.form);
    await form.getByLabel('Description').fill('Customers report made-up refund rules');
    await form.getByRole('button', { name: 'Declare incident' }).click();
    await expect(form.getByText('What is happening, in a line')).toBeVisible();
    await expect(form.getByText('Which AI system?')).toBeVisible();
    await expect(form.getByLabel('Description')).toHaveValue('Customers report made-up refund rules');
    await form.getByLabel('Title').fill('x'.repeat(301));
    await expect(form.getByText('At most 300 characters (now 301)')).toBeVisible();
    await expect(page).toHaveURL(/\/declare$/);
    await expectAccessible(page);
    await screenshots(page, 'declare', form);

    const id = await declare(page.request, { title: unique('Bad input') });
    await page.goto(incidentURL(id));
    // An empty reason is refused by the form; the dialog stays.
    await page.getByRole('button', { name: 'Mark contained' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Mark contained' }).click();
    await expect(dialog.getByText('A reason is required')).toBeVisible();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    // An overlong note is refused and kept.
    const note = page.getByRole('textbox', { name: 'Note' });
    await note.fill('n'.repeat(10001));
    await page.getByRole('button', { name: 'Add note' }).click();
    await expect(page.getByText('At most 10000 characters (now 10001)')).toBeVisible();
    await expect(note).toHaveValue('n'.repeat(10001));
    // A bad date in the review is named next to its field; the rest of the form stays.
    await page.getByRole('tab', { name: 'Review' }).click();
    const review = page.getByTestId(testIds.review.form);
    await review.getByLabel('Impact', { exact: true }).fill('Wrong refund rules shown');
    await review.getByRole('button', { name: 'Add action' }).click();
    await review.getByLabel('Action 1', { exact: true }).fill('Fix the corpus');
    await review.getByLabel('Due date of action 1').fill('2026-13-01');
    await review.getByRole('button', { name: 'Save review' }).click();
    await expect(review.getByText('"2026-13-01" is not a date like 2026-12-31')).toBeVisible();
    await expect(review.getByLabel('Impact', { exact: true })).toHaveValue('Wrong refund rules shown');
    expect((await backend(page, id)).incident.review).toBeNull();
  });
});

test.describe('a drill', () => {
  test.use({ user: { login: 'alice', role: 'Editor' } });

  test('is declared, marked everywhere, runs containment dry and stays out of the overview', async ({ page }) => {
    const before = await (await page.request.get(`${RESOURCES}/stats`)).json();
    const title = unique('Tabletop: jailbreak');
    await page.goto(`${APP}/declare`);
    const form = page.getByTestId(testIds.declare.form);
    await form.getByLabel('Title').fill(title);
    await form.getByRole('radio', { name: 'SEV1' }).check({ force: true });
    await form.getByLabel('AI system').fill('supportbot');
    await page.keyboard.press('Enter');
    await form.getByLabel('Drill').check({ force: true });
    await form.getByRole('button', { name: 'Declare incident' }).click();
    await expect(page).toHaveURL(/\/incidents\/[0-9a-f-]{36}/);
    const id = page.url().match(/incidents\/([0-9a-f-]{36})/)![1];
    await expect(page.getByTestId(testIds.incident.header).getByText('Drill')).toBeVisible();
    expect((await backend(page, id)).incident.drill).toBe(true);
    await page.getByRole('tab', { name: 'Containment' }).click();
    await expect(page.getByText('Drill: actions run as dry runs')).toBeVisible();

    // Not in the queue unless drills are asked for; then marked.
    await page.goto(`${APP}/incidents?q=${encodeURIComponent(title)}`);
    await expect(page.getByText('No incidents match these filters')).toBeVisible();
    await page.getByLabel('Include drills').check({ force: true });
    await expect(page.getByTestId(testIds.incidents.row(id)).getByText('Drill')).toBeVisible();

    // The overview counts what it counted before.
    const after = await (await page.request.get(`${RESOURCES}/stats`)).json();
    expect(after.by_severity).toEqual(before.by_severity);
    await page.goto(`${APP}/overview`);
    await expect(page.getByTestId(testIds.overview.container)).toBeVisible();
    await expect(page.getByTestId(testIds.overview.figure('SEV1'))).toContainText(String(after.by_severity.SEV1 ?? 0));
  });
});
