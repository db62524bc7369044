import { testIds } from '../../../src/components/testIds';
import { expect, expectAccessible, screenshots, test } from '../fixtures';

const INCIDENTS = '/a/firebreak-incident-app/incidents';

test.describe('an Editor', () => {
  test.use({ user: { login: 'alice', role: 'Editor' } });

  test('sees the incidents page of the shipped plugin, served by its backend', async ({ page }) => {
    const list = page.waitForResponse((r) =>
      /\/api\/plugins\/firebreak-incident-app\/resources\/incidents\?/.test(r.url())
    );
    await page.goto(INCIDENTS);

    await expect(page.getByRole('heading', { name: 'Incidents', level: 1 })).toBeVisible();
    // The backend binary answered the list, through grafanahost, as alice.
    expect((await list).status()).toBe(200);
    await expect(page.getByText(/Incidents declared in the time range/)).toBeVisible();
    await expect(page.getByTestId('host-user')).toHaveText('Signed in as alice (Editor)');
    // The nav has the app's pages an Editor may open: the Admin-only configuration is not among them.
    const nav = page.getByRole('navigation', { name: 'App pages' });
    await expect(nav.getByRole('link', { name: 'Incidents' })).toHaveAttribute('aria-current', 'page');
    await expect(nav.getByRole('link', { name: 'Configuration' })).toHaveCount(0);

    await expectAccessible(page);
    await screenshots(page, 'incidents-editor', page.getByTestId(testIds.incidents.container));
  });
});

test('with nobody signed in, the stand-in asks who you are and the API answers 401', async ({ page }) => {
  await page.goto(INCIDENTS);
  const picker = page.getByRole('form', { name: 'Choose a user' });
  await expect(picker).toBeVisible();
  await expect(page.getByTestId('host-user')).toHaveText('Not signed in');
  await expect(page.getByTestId(testIds.incidents.container)).toHaveCount(0);
  expect((await page.request.get('/api/plugins/firebreak-incident-app/resources/ping')).status()).toBe(401);
  await expectAccessible(page);
  await screenshots(page, 'choose-user', picker);

  await picker.getByLabel('Login').fill('vera');
  await picker.getByRole('radio', { name: 'Viewer' }).check();
  await picker.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('host-user')).toHaveText('Signed in as vera (Viewer)');
  await expect(page.getByTestId(testIds.incidents.container)).toBeVisible();
  await expect(page.getByRole('link', { name: 'Declare incident' }).first()).toBeVisible();
});
