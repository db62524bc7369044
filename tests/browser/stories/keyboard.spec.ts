// Keyboard only: a responder declares, acknowledges, contains (a dialog opened, dismissed with Escape and reopened),
// writes a note, switches tabs and opens the incident from the queue without a pointer. Each control is reached with
// Tab from the one before it, so a control that cannot take focus fails the story.
import { Locator, Page } from '@playwright/test';
import { testIds } from '../../../src/components/testIds';
import { expect, test } from '../fixtures';
import { APP, backend, unique } from './helpers';

const MAX_TABS = 60;

// tabTo presses Tab (or Shift+Tab) until target has the focus, as a keyboard user goes from where the focus is now.
async function tabTo(page: Page, target: Locator, backwards = false) {
  for (let i = 0; i < MAX_TABS; i++) {
    if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) {
      return;
    }
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(`${target} not reached with ${MAX_TABS} presses of Tab`);
}

test.describe('keyboard only', () => {
  test.use({ user: { login: 'alice', role: 'Editor' } });

  test('declare, acknowledge, contain, note, tabs and the queue without a pointer', async ({ page }) => {
    const title = unique('Keyboard: refund bot invents policies');
    await page.goto(`${APP}/declare`);
    const form = page.getByTestId(testIds.declare.form);
    await form.getByLabel('Title').focus();
    await page.keyboard.type(title);
    await tabTo(page, form.getByLabel('AI system'));
    await page.keyboard.type('supportbot');
    await page.keyboard.press('Enter');
    await tabTo(page, form.getByRole('button', { name: 'Declare incident' }));
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/\/incidents\/[0-9a-f-]{36}/);
    const id = page.url().match(/incidents\/([0-9a-f-]{36})/)![1];
    const header = page.getByTestId(testIds.incident.header);

    // Acknowledge.
    await tabTo(page, page.getByRole('button', { name: 'Acknowledge' }));
    await page.keyboard.press('Enter');
    await expect(header.getByText('Acknowledged', { exact: true })).toBeVisible();
    expect((await backend(page, id)).incident.status).toBe('acknowledged');

    // Contain: the dialog takes the focus, Escape closes it without a change and gives the focus back.
    const contain = page.getByRole('button', { name: 'Mark contained' });
    await tabTo(page, contain);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await expect(dialog.getByRole('textbox')).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(contain).toBeFocused();
    expect((await backend(page, id)).incident.status).toBe('acknowledged');
    await page.keyboard.press('Enter');
    await expect(dialog.getByRole('textbox')).toBeFocused();
    await page.keyboard.type('Feature flag off for all tenants');
    await tabTo(page, dialog.getByRole('button', { name: 'Mark contained' }));
    await page.keyboard.press('Enter');
    await expect(dialog).toBeHidden();
    await expect(header.getByText('Contained', { exact: true })).toBeVisible();
    expect((await backend(page, id)).incident.status).toBe('contained');

    // A note, from the timeline's form.
    const note = page.getByRole('textbox', { name: 'Note' });
    await tabTo(page, note);
    await page.keyboard.type('Support told to use the written policy');
    await tabTo(page, page.getByRole('button', { name: 'Add note' }));
    await page.keyboard.press('Enter');
    await expect(
      page.getByTestId(testIds.incident.timeline).getByText('Support told to use the written policy')
    ).toBeVisible();
    const notes = (await backend(page, id)).timeline.filter((e: { kind: string }) => e.kind === 'note');
    expect(notes).toHaveLength(1);

    // Tabs: the Review tab opens with Enter.
    await tabTo(page, page.getByRole('tab', { name: 'Review' }), true);
    await page.keyboard.press('Enter');
    await expect(page.getByTestId(testIds.review.form)).toBeVisible();

    // The queue: its search box and the incident's link.
    await page.goto(`${APP}/incidents?status=any`);
    const search = page.getByRole('textbox', { name: 'Search titles and descriptions' });
    await tabTo(page, search);
    await page.keyboard.type(title);
    await page.keyboard.press('Enter');
    const link = page.getByTestId(testIds.incidents.row(id)).getByRole('link');
    await expect(link).toBeVisible();
    await tabTo(page, link);
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(new RegExp(`/incidents/${id}`));
    await expect(header.getByText('Contained', { exact: true })).toBeVisible();
  });
});
