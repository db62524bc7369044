// The UI benchmark of issue 13, in the browser over the seeded database (FIREBREAK_BROWSER_SEED, 1,000,000 for the
// report): navigation to the queue until its first rows show; a queue row click until the incident page shows a
// 1,000-event timeline; the longest main-thread task while scrolling that timeline; the plugin's JavaScript per route
// (gzip). Each timing has a baseline measured in the same run: the API request the page makes, timed from the page.
// Run: npm run bench:browser (writes test-results/browser-bench.json and prints the table for BENCHMARKS.md).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Page } from '@playwright/test';
import { testIds } from '../../../src/components/testIds';
import { env, expect, test } from '../fixtures';
import { APP, incidentURL, RESOURCES } from '../stories/helpers';

const SAMPLES = Number(process.env.FIREBREAK_BENCH_SAMPLES ?? 20);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const summary = (xs: number[]) => ({ p50: pct(xs, 50), p95: pct(xs, 95), max: Math.max(...xs), n: xs.length });

// apiTime times a GET of the plugin's API from inside the page (the same cookies, the same server path).
async function apiTime(page: Page, url: string): Promise<number> {
  return page.evaluate(async (u) => {
    const t = performance.now();
    const r = await fetch(u);
    await r.text();
    return performance.now() - t;
  }, url);
}

// watchPaint arms the page to time the next click until an element matching selector (and text, if given) is in
// the DOM and a frame with it has been painted: what the user sees, without Playwright's own round trips. The result
// is read with paintedAfterClick.
async function watchPaint(page: Page, selector: string, text?: string) {
  await page.evaluate(
    ([sel, txt]) => {
      const w = window as unknown as { benchClick?: number; benchPainted?: number };
      w.benchClick = undefined;
      w.benchPainted = undefined;
      document.addEventListener('click', () => (w.benchClick = performance.now()), { capture: true, once: true });
      const found = () =>
        !!document.querySelector(sel) && (!txt || (document.body.textContent ?? '').includes(txt));
      const observer = new MutationObserver(() => {
        if (w.benchClick !== undefined && found()) {
          observer.disconnect();
          // The frame that shows the element: its rAF runs before paint, the task after it runs after paint.
          requestAnimationFrame(() => setTimeout(() => (w.benchPainted = performance.now())));
        }
      });
      observer.observe(document.body, { childList: true, subtree: true, characterData: true });
    },
    [selector, text ?? ''] as const
  );
}

async function paintedAfterClick(page: Page): Promise<number> {
  await page.waitForFunction(() => (window as unknown as { benchPainted?: number }).benchPainted !== undefined);
  return page.evaluate(() => {
    const w = window as unknown as { benchClick: number; benchPainted: number };
    return w.benchPainted - w.benchClick;
  });
}

async function query(sql: string): Promise<string> {
  const r = await fetch(env.clickhouseHttp, { method: 'POST', body: sql });
  return (await r.text()).trim();
}

test.describe('UI benchmark', () => {
  test.use({ user: { login: 'alice', role: 'Editor' } });
  test.setTimeout(30 * 60_000);

  test('queue, incident page, scrolling, JavaScript size', async ({ page, browser }) => {
    const results: Record<string, unknown> = {
      incidents: Number(await query('SELECT count() FROM firebreak.incidents')),
    };
    const big = await query('SELECT toString(incident_id) FROM firebreak.incidents ORDER BY last_seq DESC LIMIT 1');
    const bigTitle = await query(`SELECT title FROM firebreak.incidents WHERE incident_id = '${big}'`);

    // 1. Overview -> queue (the app's nav, as a user goes): until the first rows show.
    const queue: number[] = [];
    const queuePainted: number[] = [];
    const queueAPI: number[] = [];
    await page.goto(`${APP}/overview`);
    for (let i = 0; i < SAMPLES; i++) {
      await page.goto(`${APP}/overview`);
      await expect(page.getByTestId(testIds.overview.container)).toBeVisible({ timeout: 60_000 });
      await watchPaint(page, `[data-testid="${testIds.incidents.table}"] tbody tr`);
      const t = Date.now();
      await page.getByRole('navigation', { name: 'App pages' }).getByRole('link', { name: 'Incidents' }).click();
      await page.getByTestId(testIds.incidents.table).locator('tbody tr').first().waitFor();
      queue.push(Date.now() - t);
      queuePainted.push(await paintedAfterClick(page));
      const now = Date.now();
      queueAPI.push(
        await apiTime(
          page,
          `${RESOURCES}/incidents?status=declared,acknowledged,contained&from=${now - 90 * 86400e3}&to=${now}&limit=50`
        )
      );
    }
    results.queue = { ui: summary(queue), painted: summary(queuePainted), api: summary(queueAPI) };

    // 2. Queue row -> incident page with its 1,000-event timeline rendered.
    const open: number[] = [];
    const openPainted: number[] = [];
    const openAPI: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      await page.goto(`${APP}/incidents?status=any&q=${encodeURIComponent(bigTitle.slice(0, 60))}`);
      const row = page.getByTestId(testIds.incidents.row(big));
      await row.waitFor({ timeout: 60_000 });
      await watchPaint(page, `[data-testid="${testIds.incident.event(1)}"]`, 'of 1000 events');
      const t = Date.now();
      await row.getByRole('link').click();
      await page.getByTestId(testIds.incident.event(1)).waitFor();
      await expect(page.getByText(/of 1000 events/)).toBeVisible();
      open.push(Date.now() - t);
      openPainted.push(await paintedAfterClick(page));
      openAPI.push(await apiTime(page, `${RESOURCES}/incidents/${big}`));
    }
    results.incident = { ui: summary(open), painted: summary(openPainted), api: summary(openAPI) };

    // 3. The longest main-thread task while scrolling that timeline to its end and back.
    await page.evaluate(() => {
      (window as unknown as { longTasks: number[] }).longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          (window as unknown as { longTasks: number[] }).longTasks.push(e.duration);
        }
      }).observe({ type: 'longtask', buffered: false });
    });
    const scroller = page.getByTestId(testIds.incident.timeline);
    await scroller.hover();
    for (let i = 0; i < 60; i++) {
      await page.mouse.wheel(0, 1200);
      await page.waitForTimeout(16);
    }
    for (let i = 0; i < 60; i++) {
      await page.mouse.wheel(0, -1200);
      await page.waitForTimeout(16);
    }
    await expect(page.getByTestId(testIds.incident.event(1))).toBeVisible();
    const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
    results.scroll = { longTasks: longTasks.length, longestMs: longTasks.length ? Math.max(...longTasks) : 0 };

    // 4. The plugin's JavaScript each route loads, from a fresh page (gzip, as a server would send it).
    const sizes: Record<string, { files: number; bytes: number; gzip: number }> = {};
    for (const [route, url, ready] of [
      ['queue', `${APP}/incidents`, testIds.incidents.container],
      ['incident', incidentURL(big), testIds.incident.timeline],
    ] as const) {
      const context = await browser.newContext({ baseURL: env.ui });
      await context.addCookies([
        { name: 'grafana_user', value: 'alice', url: env.ui },
        { name: 'grafana_role', value: 'Editor', url: env.ui },
      ]);
      const p = await context.newPage();
      // Files that arrive before the route shows are what it needs; later ones are the app's background prefetch.
      const bodies: Array<Promise<Buffer>> = [];
      p.on('response', (r) => {
        if (/\/public\/plugins\/firebreak-incident-app\/.*\.js/.test(r.url())) {
          bodies.push(r.body());
        }
      });
      await p.goto(url);
      await p.getByTestId(ready).waitFor({ timeout: 60_000 });
      const needed = bodies.length;
      await p.waitForTimeout(1500);
      await p.waitForLoadState('networkidle');
      const all = await Promise.all(bodies);
      const sum = (bs: Buffer[]) => ({
        files: bs.length,
        bytes: bs.reduce((a, b) => a + b.length, 0),
        gzip: bs.reduce((a, b) => a + gzipSync(b).length, 0),
      });
      sizes[route] = sum(all.slice(0, needed));
      sizes[`${route}, prefetched after`] = sum(all.slice(needed));
      await context.close();
    }
    results.javascript = sizes;

    const out = path.resolve(__dirname, '../../../test-results/browser-bench.json');
    writeFileSync(out, JSON.stringify(results, null, 2));
    type Summary = ReturnType<typeof summary>;
    const q = results.queue as { ui: Summary; painted: Summary; api: Summary };
    const inc = results.incident as typeof q;
    console.log(`
| measure | in the page: click -> painted p50 / p95 | as Playwright sees it p50 / p95 | target p95 | baseline (the page's API request) p95 | ratio p95 (in the page) |
| --- | --- | --- | --- | --- | --- |
| overview -> queue, first rows visible | ${q.painted.p50.toFixed(0)} / ${q.painted.p95.toFixed(0)} ms | ${q.ui.p50} / ${q.ui.p95} ms | 300 ms | ${q.api.p95.toFixed(1)} ms | ${(q.painted.p95 / q.api.p95).toFixed(2)} |
| queue row -> incident page, 1,000-event timeline | ${inc.painted.p50.toFixed(0)} / ${inc.painted.p95.toFixed(0)} ms | ${inc.ui.p50} / ${inc.ui.p95} ms | 400 ms | ${inc.api.p95.toFixed(1)} ms | ${(inc.painted.p95 / inc.api.p95).toFixed(2)} |

Scrolling the 1,000-event timeline: ${longTasks.length} main-thread tasks over 50 ms, the longest ${results.scroll && (results.scroll as { longestMs: number }).longestMs.toFixed(0)} ms (target: none over 100 ms).
JavaScript of the plugin: queue route ${sizes.queue.files} files, ${(sizes.queue.gzip / 1024).toFixed(1)} KiB gzip; incident route ${sizes.incident.files} files, ${(sizes.incident.gzip / 1024).toFixed(1)} KiB gzip (then prefetched in the background: ${(sizes['queue, prefetched after'].gzip / 1024).toFixed(1)} and ${(sizes['incident, prefetched after'].gzip / 1024).toFixed(1)} KiB).
${results.incidents} incidents in the database; ${SAMPLES} samples each.`);
  });
});
