// Playwright fixtures of the browser stories: pages as a chosen Grafana user (the stand-in's cookies), each watched so
// that a story fails on any page error, console.error, failed request or HTTP answer >= 400 it did not declare with
// expectHttpError; an accessibility check (axe); light and dark screenshots.
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { Browser, expect, Locator, Page, test as base } from '@playwright/test';

export { expect };

// Where env.ts started everything (URLs of the UI and of each service, and the stack's directory with its tokens).
export interface BrowserEnv {
  ui: string;
  grafana: string;
  prometheus: string;
  alertmanager: string;
  demo: string;
  receiver: string;
  clickhouseHttp: string;
  dir: string;
}

export const env: BrowserEnv = JSON.parse(process.env.FIREBREAK_BROWSER_ENV ?? 'null');

export type Role = 'None' | 'Viewer' | 'Editor' | 'Admin';

export interface User {
  login: string;
  role: Role;
}

// Grafana's icons that @grafana/ui does not ship (Grafana serves them itself); nothing else is allowed globally.
const ALWAYS_ALLOWED = [{ url: /\/public\/build\/img\/icons\/[\w/-]+\.svg$/, status: 404 }];

class Watch {
  problems: string[] = [];
  expected: Array<{ url: RegExp | string; status: number; seen: number }> = [];

  attach(page: Page) {
    page.on('pageerror', (e) => this.problems.push(`page error: ${e.stack ?? e.message}`));
    page.on('console', (m) => {
      // A failed resource is also logged; the response handler below judges it.
      if (
        m.type() === 'error' &&
        !m.text().startsWith('Failed to load resource: the server responded with a status of')
      ) {
        this.problems.push(`console.error: ${m.text()} (${m.location().url})`);
      }
    });
    page.on('requestfailed', (r) => {
      // Navigations cancel the page's pending requests.
      if (!r.failure()?.errorText.includes('ERR_ABORTED')) {
        this.problems.push(`request failed: ${r.method()} ${r.url()}: ${r.failure()?.errorText}`);
      }
    });
    page.on('response', (r) => {
      if (r.status() < 400) {
        return;
      }
      const matches = (e: { url: RegExp | string; status: number }) =>
        e.status === r.status() && (typeof e.url === 'string' ? r.url().includes(e.url) : e.url.test(r.url()));
      const expected = this.expected.find(matches);
      if (expected) {
        expected.seen++;
      } else if (!ALWAYS_ALLOWED.some(matches)) {
        this.problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
      }
    });
  }

  check() {
    expect(this.problems, 'errors on the page that the story did not expect').toEqual([]);
    const unseen = this.expected.filter((e) => e.seen === 0).map((e) => `HTTP ${e.status} from ${e.url}`);
    expect(unseen, 'HTTP errors the story expected but did not see').toEqual([]);
  }
}

async function signIn(browser: Browser, user: User | null) {
  const context = await browser.newContext({ baseURL: env.ui, viewport: { width: 1280, height: 800 } });
  if (user) {
    await context.addCookies([
      { name: 'grafana_user', value: user.login, url: env.ui },
      { name: 'grafana_role', value: user.role, url: env.ui },
    ]);
  }
  return context;
}

export const test = base.extend<{
  // The Grafana user of `page`: test.use({ user: { login: 'alice', role: 'Editor' } }). null (the default): nobody
  // is signed in, and the stand-in asks who you are.
  user: User | null;
  watch: Watch;
  // Declares an HTTP error the story expects (the story fails if it does not happen): expectHttpError(/verify/, 403).
  expectHttpError: (url: RegExp | string, status: number) => void;
  // Another page, as another user, in its own browser context (watched like `page`).
  pageAs: (user: User | null) => Promise<Page>;
}>({
  user: [null, { option: true }],
  baseURL: async ({}, use) => use(env.ui),
  watch: async ({}, use) => {
    const watch = new Watch();
    await use(watch);
    watch.check();
  },
  context: async ({ context, user }, use) => {
    if (user) {
      await context.addCookies([
        { name: 'grafana_user', value: user.login, url: env.ui },
        { name: 'grafana_role', value: user.role, url: env.ui },
      ]);
    }
    await use(context);
  },
  page: async ({ page, watch }, use) => {
    watch.attach(page);
    await use(page);
  },
  expectHttpError: async ({ watch }, use) => {
    await use((url, status) => watch.expected.push({ url, status, seen: 0 }));
  },
  pageAs: async ({ browser, watch }, use) => {
    const contexts: Awaited<ReturnType<typeof signIn>>[] = [];
    await use(async (user) => {
      const context = await signIn(browser, user);
      contexts.push(context);
      const page = await context.newPage();
      watch.attach(page);
      return page;
    });
    await Promise.all(contexts.map((c) => c.close()));
  },
});

// No serious or critical accessibility violation (axe-core) on the page as it is now.
export async function expectAccessible(page: Page) {
  // The pointer rests away from the page: a hovered control takes Grafana's hover colours, a passing state.
  await page.mouse.move(0, 0);
  // Colours in transition (a button leaving its hover or busy state) are neither the old nor the new: wait for every
  // finite animation and transition to end before axe reads them.
  await page.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        .filter((a) => Number.isFinite(Number(a.effect?.getComputedTiming().endTime)))
        .map((a) => a.finished.catch(() => undefined))
    )
  );
  const { violations } = await new AxeBuilder({ page }).analyze();
  const serious = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => `${n.target.join(' ')}: ${n.html.slice(0, 200)}`).join(', ')})`
    );
  expect(serious, 'serious or critical accessibility violations').toEqual([]);
}

// Screenshots of the page in the light and the dark theme (reloaded in each), in tests/browser/screenshots/
// <name>-light.png and -dark.png; `ready` is what shows that the page has loaded, `settled` (optional) waits for what
// a locator cannot show (a canvas drawn).
export async function screenshots(page: Page, name: string, ready: Locator, settled?: (page: Page) => Promise<void>) {
  for (const theme of ['light', 'dark']) {
    await page.context().addCookies([{ name: 'grafana_theme', value: theme, url: env.ui }]);
    await page.reload();
    await expect(ready).toBeVisible();
    await page.waitForLoadState('networkidle');
    await settled?.(page);
    await page.screenshot({
      path: path.join(__dirname, 'screenshots', `${name}-${theme}.png`),
      fullPage: true,
      animations: 'disabled',
    });
  }
}
