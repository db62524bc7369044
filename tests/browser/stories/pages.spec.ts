// Story 7 and the screenshots: every page of the app, in light and dark, accessible (axe: no serious or critical
// violation), for an Editor.
import { testIds } from '../../../src/components/testIds';
import { expect, expectAccessible, screenshots, test } from '../fixtures';
import { APP, declare, incidentURL, unique } from './helpers';

test.describe('every page', () => {
  test.use({ user: { login: 'alice', role: 'Editor' } });

  test('is accessible and drawn in both themes', async ({ page }) => {
    const id = await declare(page.request, {
      title: unique('Screenshot incident'),
      severity: 'SEV2',
      description: 'Seen by the support team',
    });
    await page.request.post(`/api/plugins/firebreak-incident-app/resources/incidents/${id}/notes`, {
      data: { text: 'First look: limited to EU users' },
    });

    const pages: Array<[string, string, () => ReturnType<typeof page.getByTestId>]> = [
      ['overview', `${APP}/overview`, () => page.getByTestId(testIds.overview.container)],
      ['readiness', `${APP}/readiness`, () => page.getByRole('button', { name: 'Run the readiness check' })],
      ['timeline', incidentURL(id), () => page.getByTestId(testIds.incident.timeline)],
      ['review-empty', incidentURL(id, 'review'), () => page.getByTestId(testIds.review.form)],
    ];
    for (const [name, url, ready] of pages) {
      await page.goto(url);
      await expect(ready()).toBeVisible();
      await expectAccessible(page);
      await screenshots(page, name, ready());
    }

    await page.goto(`${APP}/readiness`);
    await page.getByRole('button', { name: 'Run the readiness check' }).click();
    await expect(page.getByTestId(testIds.readiness.table)).toContainText('ready');
    await expectAccessible(page);
  });
});
