// Story 6: the queue over a database of thousands of incidents (seeded by env.ts): filters, cursor paging, state in
// the URL, the back button.
import { testIds } from '../../../src/components/testIds';
import { expect, expectAccessible, test } from '../fixtures';
import { APP, declare, RESOURCES, unique } from './helpers';

test.describe('the queue', () => {
  test.use({ user: { login: 'alice', role: 'Editor' } });

  test('pages and filters thousands of incidents, keeping everything in the URL', async ({ page }) => {
    await page.goto(`${APP}/incidents?status=any`);
    const table = page.getByTestId(testIds.incidents.table);
    const rows = table.locator('tbody tr');
    await expect(rows).toHaveCount(50);
    const firstTitle = await rows.first().getByRole('link').textContent();

    // The next page: other incidents, a cursor in the URL; the back button returns to the first page.
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect(page).toHaveURL(/cursor=/);
    await expect(rows.first().getByRole('link')).not.toHaveText(firstTitle!);
    const secondFirst = await rows.first().getByRole('link').textContent();
    await page.goBack();
    await expect(page).not.toHaveURL(/cursor=/);
    await expect(rows.first().getByRole('link')).toHaveText(firstTitle!);
    await page.goForward();
    await expect(rows.first().getByRole('link')).toHaveText(secondFirst!);

    // A filter starts from the first page and holds on every row; a reload keeps it.
    await page.getByLabel('Severity').click();
    await page.getByRole('option', { name: 'SEV1' }).click();
    await page.keyboard.press('Escape');
    await expect(page).toHaveURL(/severity=SEV1/);
    await expect(page).not.toHaveURL(/cursor=/);
    await expect(rows).toHaveCount(50);
    for (const badge of await rows.locator('td:first-child').all()) {
      await expect(badge).toHaveText('SEV1');
    }
    await page.reload();
    await expect(page).toHaveURL(/severity=SEV1/);
    await expect(rows.first().locator('td').first()).toHaveText('SEV1');

    // Search narrows to titles and descriptions; a search matching nothing says so.
    await page.getByLabel('Search titles and descriptions').fill('refund');
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/q=refund/);
    await expect(rows.first()).toContainText(/refund/i);
    await page.getByLabel('Search titles and descriptions').fill('no incident is called this');
    await page.keyboard.press('Enter');
    await expect(page.getByText('No incidents match these filters')).toBeVisible();
    await expectAccessible(page);

    // The open incidents (the default filter) are all open.
    await page.goto(`${APP}/incidents`);
    await expect(rows.first()).toBeVisible();
    for (const status of await rows.locator('td:nth-child(3)').allTextContents()) {
      expect(['Declared', 'Acknowledged', 'Contained'].some((s) => status.startsWith(s))).toBe(true);
    }
  });

  test('filters by the classification (OWASP LLM entry, EU harm, MITRE ATLAS tactic), kept in the URL', async ({ page }) => {
    const prefix = unique('Classified queue');
    const classified = await declare(page.request, { title: `${prefix} injected`, severity: 'SEV2' });
    await declare(page.request, { title: `${prefix} plain`, severity: 'SEV2' });
    const put = await page.request.put(`${RESOURCES}/incidents/${classified}/taxonomy`, {
      data: { owasp_llm: ['LLM01', 'LLM06'], harm: 'health', atlas_tactics: ['AML.TA0005'] },
    });
    expect(put.status(), await put.text()).toBe(200);

    await page.goto(`${APP}/incidents?status=any&q=${encodeURIComponent(prefix)}`);
    const rows = page.getByTestId(testIds.incidents.table).locator('tbody tr');
    await expect(rows).toHaveCount(2);

    await page.getByLabel('OWASP LLM entry').click();
    await page.getByRole('option', { name: 'LLM01 Prompt Injection' }).click();
    await page.keyboard.press('Escape');
    await expect(page).toHaveURL(/owasp_llm=LLM01/);
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText(`${prefix} injected`);

    await page.getByLabel('EU harm').click();
    await page.getByRole('option', { name: "Serious harm to a person's health" }).click();
    await page.keyboard.press('Escape');
    await expect(page).toHaveURL(/harm=health/);
    await expect(rows).toHaveCount(1);
    await page.reload();
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText(`${prefix} injected`);

    // The rarer classification filters, on demand: a MITRE ATLAS tactic.
    await page.goto(`${APP}/incidents?status=any&q=${encodeURIComponent(prefix)}`);
    await expect(rows).toHaveCount(2);
    await expect(page.getByLabel('MITRE ATLAS tactic')).toHaveCount(0);
    await page.getByRole('button', { name: 'More classification filters' }).click();
    await page.getByLabel('MITRE ATLAS tactic').click();
    await page.getByRole('option', { name: 'AML.TA0005 Execution' }).click();
    await page.keyboard.press('Escape');
    await expect(page).toHaveURL(/atlas_tactics=AML.TA0005/);
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText(`${prefix} injected`);
    await page.reload();
    await expect(page.getByLabel('MITRE ATLAS tactic'), 'shown while set').toBeVisible();
    await expect(rows).toHaveCount(1);

    // An entry no incident of the search has: nothing listed.
    await page.goto(`${APP}/incidents?status=any&q=${encodeURIComponent(prefix)}&owasp_llm=LLM10`);
    await expect(page.getByText('No incidents match these filters')).toBeVisible();
    await expectAccessible(page);
  });
});
