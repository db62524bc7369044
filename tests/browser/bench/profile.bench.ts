// A CPU profile of one overview -> queue navigation and one queue -> incident navigation (FIREBREAK_PROFILE=1):
// the functions with the most self time, by script. For finding what the UI benchmark's time is spent on.
import { testIds } from '../../../src/components/testIds';
import { expect, test } from '../fixtures';
import { APP } from '../stories/helpers';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

test.skip(!process.env.FIREBREAK_PROFILE, 'profiling only on demand');

test.use({ user: { login: 'alice', role: 'Editor' } });

test('profile', async ({ page }) => {
  const cdp = await page.context().newCDPSession(page);
  await page.goto(`${APP}/overview`);
  await expect(page.getByTestId(testIds.overview.container)).toBeVisible();
  await page.getByRole('navigation', { name: 'App pages' }).getByRole('link', { name: 'Incidents' }).click();
  await page.getByTestId(testIds.incidents.table).locator('tbody tr').first().waitFor();
  await page.goto(`${APP}/overview`);
  await expect(page.getByTestId(testIds.overview.container)).toBeVisible();
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  for (const [what, go] of [
    [
      'queue',
      async () => {
        await page.getByRole('navigation', { name: 'App pages' }).getByRole('link', { name: 'Incidents' }).click();
        await page.getByTestId(testIds.incidents.table).locator('tbody tr').first().waitFor();
      },
    ],
    [
      'incident',
      async () => {
        await page.getByTestId(testIds.incidents.table).locator('tbody tr').first().getByRole('link').click();
        await page.getByTestId(testIds.incident.event(1)).waitFor();
      },
    ],
  ] as const) {
    const browser = page.context().browser()!;
    await browser.startTracing(page, { categories: ['devtools.timeline'] });
    await cdp.send('Profiler.start');
    const t = Date.now();
    await go();
    const took = Date.now() - t;
    const { profile } = await cdp.send('Profiler.stop');
    console.log(`\n== ${what}: main thread by kind of work (trace)`);
    console.log(mainThreadWork(JSON.parse((await browser.stopTracing()).toString())));
    const self = new Map<string, number>();
    const dt = new Map<number, number>();
    profile.samples!.forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas![i] ?? 0)));
    for (const n of profile.nodes as Node[]) {
      const key = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
      self.set(key, (self.get(key) ?? 0) + (dt.get(n.id) ?? 0) / 1000);
    }
    const byScript = new Map<string, number>();
    for (const n of profile.nodes as Node[]) {
      const key = n.callFrame.url.split('/').pop() || n.callFrame.functionName;
      byScript.set(key, (byScript.get(key) ?? 0) + (dt.get(n.id) ?? 0) / 1000);
    }
    console.log(`\n== ${what}: ${took} ms`);
    console.log(
      [...byScript]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8)
        .map(([k, v]) => `${v.toFixed(1)} ms  ${k}`)
        .join('\n')
    );
    console.log(
      [...self]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 25)
        .map(([k, v]) => `${v.toFixed(1)} ms  ${k}`)
        .join('\n')
    );
  }
});

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  tid: number;
  pid: number;
  args?: { name?: string; data?: { url?: string; requestId?: string } };
}

// The renderer main thread's top-level work by event name (style recalculation, layout, script, paint...).
function mainThreadWork(trace: { traceEvents: TraceEvent[] }): string {
  const main = trace.traceEvents.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const byName = new Map<string, number>();
  for (const e of trace.traceEvents) {
    if (main && e.tid === main.tid && e.pid === main.pid && e.ph === 'X' && e.dur) {
      byName.set(e.name, (byName.get(e.name) ?? 0) + e.dur / 1000);
    }
  }
  const totals = [...byName]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 14)
    .map(([k, v]) => `${v.toFixed(1)} ms  ${k}`)
    .join('\n');
  // In order: the main thread's tasks over 4 ms and the plugin's requests, from the first event (ms).
  const t0 = Math.min(...trace.traceEvents.filter((e) => e.ts > 0).map((e) => e.ts));
  const steps = trace.traceEvents
    .filter(
      (e) =>
        (main && e.tid === main.tid && e.ph === 'X' && (e.dur ?? 0) > 4000 && e.name !== 'ThreadControllerImpl::RunTask') ||
        ((e.name === 'ResourceSendRequest' || e.name === 'ResourceFinish') && /plugins|api/.test(e.args?.data?.url ?? e.name))
    )
    .sort((a, b) => a.ts - b.ts)
    .map(
      (e) =>
        `${((e.ts - t0) / 1000).toFixed(0).padStart(5)} ms ${e.dur ? `+${(e.dur / 1000).toFixed(0)}`.padEnd(5) : '     '} ${e.name} ${(e.args?.data?.url ?? '').replace(/^.*\/(api|public)\//, '')}`
    )
    .join('\n');
  return `${totals}\n-- in order --\n${steps}`;
}
