import { testIds } from '../../../src/components/testIds';
import { expect, expectAccessible, test } from '../fixtures';

test.describe('an Admin', () => {
  test.use({ user: { login: 'root', role: 'Admin' } });

  test('opens the configuration from the nav, saves it, and the backend is healthy with it', async ({ page }) => {
    await page.goto('/a/firebreak-incident-app/incidents');
    await page.getByRole('navigation', { name: 'App pages' }).getByRole('link', { name: 'Configuration' }).click();
    await expect(page).toHaveURL(/\/plugins\/firebreak-incident-app$/);

    // The settings come from the plugin's saved jsonData (the stack's provisioning file), secrets only as "configured".
    await expect(page.getByTestId(testIds.appConfig.clickhouseAddress)).toHaveValue(/^127\.0\.0\.1:\d+$/);
    await expect(page.getByTestId(testIds.appConfig.receiverApiToken)).toHaveValue('configured');
    await expect(page.getByTestId(testIds.appConfig.health)).toContainText('Firebreak is working');
    await expectAccessible(page);

    const saved = page.waitForResponse(
      (r) => r.url().endsWith('/api/plugins/firebreak-incident-app/settings') && r.request().method() === 'POST'
    );
    await page.getByTestId(testIds.appConfig.submit).click();
    expect((await saved).status()).toBe(200);
    // The page reloads; the backend's new instance answers the health check.
    await expect(page.getByTestId(testIds.appConfig.health)).toContainText('Settings saved. Firebreak is working');
  });
});

test.describe('an Editor', () => {
  test.use({ user: { login: 'alice', role: 'Editor' } });

  test('is not shown the configuration, and may not save settings', async ({ page }) => {
    await page.goto('/plugins/firebreak-incident-app');
    await expect(page.getByText('Configuring a plugin takes the Admin role')).toBeVisible();
    await expect(page.getByTestId(testIds.appConfig.container)).toHaveCount(0);
    const post = await page.request.post('/api/plugins/firebreak-incident-app/settings', { data: { jsonData: {} } });
    expect(post.status()).toBe(403);
  });
});
