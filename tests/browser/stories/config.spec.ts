import { readFile } from 'node:fs/promises';
import { testIds } from '../../../src/components/testIds';
import { expect, expectAccessible, screenshots, test } from '../fixtures';
import { declare, incidentURL, RESOURCES, unique } from './helpers';

const SETTINGS = '/api/plugins/firebreak-incident-app/settings';

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

  test("records an AI system's facts, which its EU AI Act report draft then cites", async ({ page }) => {
    // A system of its own: the other stories' supportbot reports keep no facts.
    const system = `creditbot-${Date.now().toString(36)}`;
    const facts = {
      name: 'Acme Credit Assistant',
      provider: 'Acme Credit SA, 1 rue de la Paix, Paris',
      registrationId: 'EU-AI-0000456',
      authority: 'CNIL',
      submitterRole: 'deployer',
    };
    const posts: string[] = [];
    page.on('request', (r) => r.method() === 'POST' && r.url().endsWith(SETTINGS) && posts.push(r.url()));
    await page.goto('/plugins/firebreak-incident-app');
    const health = page.getByTestId(testIds.appConfig.health);
    await expect(health).toContainText('Firebreak is working');

    const section = page.getByRole('group', { name: 'AI systems (regulatory reports)' });
    await expect(section).toContainText('EU AI Act serious-incident report draft');
    const rows = await section.getByLabel(/^AI system \d+ ai_system$/).count();
    await section.getByRole('button', { name: 'Add AI system' }).click();
    await section.getByLabel(`AI system ${rows + 1} ai_system`, { exact: true }).fill(system);
    const field = (name: string) => section.getByLabel(`${system} ${name}`, { exact: true });
    await field('display name').fill(facts.name);

    // Refused: a provider longer than the backend takes, named next to it; nothing is sent, and it stays as typed.
    const provider = field('provider');
    const long = 'P'.repeat(1001);
    await provider.fill(long);
    await expect(provider).toHaveAccessibleDescription('Too long: 1001 characters, at most 1000');
    await expect(page.getByTestId(testIds.appConfig.validationSummary)).toContainText(
      `${system} provider: Too long: 1001 characters, at most 1000`
    );
    const save = page.getByTestId(testIds.appConfig.submit);
    await expect(save).toBeDisabled();
    await provider.press('Enter');
    await expect(provider).toHaveValue(long);
    await expect(field('display name')).toHaveValue(facts.name);
    expect(posts).toEqual([]);

    await provider.fill(facts.provider);
    await expect(provider).not.toHaveAttribute('aria-invalid', 'true');
    await field('EU database registration id').fill(facts.registrationId);
    await field('market surveillance authority').fill(facts.authority);
    await section.getByRole('combobox', { name: `${system} submitter role` }).click();
    await page.getByRole('option', { name: 'Deployer', exact: true }).click();
    // The contact is left blank: the report marks it for a person to fill.
    await expectAccessible(page);

    const saved = page.waitForResponse((r) => r.url().endsWith(SETTINGS) && r.request().method() === 'POST');
    await save.click();
    const response = await saved;
    expect(response.status()).toBe(200);
    expect(response.request().postDataJSON().jsonData.aiSystems[system]).toEqual(facts);
    // Reloaded: the backend's new instance loaded them (its health check checks them), and the page shows them.
    await expect(health).toContainText('Settings saved. Firebreak is working');
    await expect(field('provider')).toHaveValue(facts.provider);
    await expect(section.getByRole('combobox', { name: `${system} submitter role` })).toHaveValue('Deployer');
    await screenshots(page, 'config-ai-systems', section);

    // An incident of that system, flagged under the EU AI Act: its draft cites the facts typed.
    const id = await declare(page.request, { title: unique('Credit decisions refused'), ai_system: system });
    const flagged = await page.request.post(`${RESOURCES}/incidents/${id}/regulatory`, {
      data: { regime: 'eu_ai_act', tier: 'standard', aware_at: new Date().toISOString() },
    });
    expect(flagged.status(), await flagged.text()).toBe(200);
    await page.goto(incidentURL(id));
    await page.getByRole('button', { name: 'Draft EU AI Act report' }).click();
    const dialog = page.getByTestId(testIds.incident.euReportDialog);
    await dialog.getByRole('radio', { name: 'JSON' }).check({ force: true });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      dialog.getByRole('button', { name: 'Download draft' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`incident-${id}-eu-ai-act-initial.json`);
    const file = await download.path();
    expect(file, 'the download finished').toBeTruthy();
    const draft = JSON.parse(await readFile(file!, 'utf8'));
    const from = (key: string) => `settings: jsonData.aiSystems.${system}.${key}`;
    expect(draft.ai_system.name).toEqual({ value: facts.name, to_fill: false, source: from('name') });
    expect(draft.ai_system.provider).toEqual({ value: facts.provider, to_fill: false, source: from('provider') });
    expect(draft.ai_system.registration_id).toEqual({
      value: facts.registrationId,
      to_fill: false,
      source: from('registrationId'),
    });
    expect(draft.administrative.authority).toEqual({ value: 'CNIL', to_fill: false, source: from('authority') });
    expect(draft.administrative.submitter_role).toEqual({
      value: 'deployer',
      to_fill: false,
      source: from('submitterRole'),
    });
    expect(draft.administrative.submitter_contact.to_fill).toBe(true);
    expect(draft.to_fill).toContain('administrative.submitter_contact');
    expect(draft.to_fill).not.toContain('ai_system.provider');
    expect(draft.to_fill).not.toContain('ai_system.registration_id');
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
