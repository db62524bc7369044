// The dashboards in dashboards/ drawn from their own queries over the seeded incidents (and the demo's metrics), in the
// stand-in's dashboard viewer (host/dashboards.tsx: @grafana/scenes, not Grafana): every panel shows data and none
// an error (a failed query is also an HTTP 400 from /api/ds/query, which fails the story), in light and dark.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Locator, Page } from '@playwright/test';
import { env, expect, screenshots, test } from '../fixtures';

interface Panel {
  type: string;
  title: string;
}

const dir = path.resolve(__dirname, '../../../dashboards');
const dashboards = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ name: f.slice(0, -5), ...JSON.parse(readFileSync(path.join(dir, f), 'utf8')) }));

// The panel of that title, as scenes' VizPanel draws it (Grafana's PanelChrome).
const panelOf = (page: Page, title: string) => page.getByTestId(`data-testid Panel header ${title}`);

// What shows that a panel of this type drew data.
function drawn(panel: Locator, type: string): Locator {
  switch (type) {
    case 'stat':
      return panel.getByText(/^-?[\d.,]+( \w+)?$/).first();
    case 'table':
      return panel.getByRole('cell').first();
    case 'timeseries':
      return panel.locator('canvas').first();
  }
  throw new Error(`no check for ${type} panels`);
}

// Waits until Prometheus answers every Prometheus panel's query with a series: the demo's metrics begin when the stack
// starts, and a rate needs two scrapes in its window.
async function prometheusHasData(panels: Array<Panel & { targets: Array<{ expr?: string }> }>) {
  const exprs = panels.flatMap((p) => p.targets.map((t) => t.expr).filter((e): e is string => Boolean(e)));
  expect(exprs.length).toBeGreaterThan(0);
  await expect
    .poll(
      async () => {
        const answers = await Promise.all(
          exprs.map(async (e) => {
            const query = e.replace(/\$ai_system/g, 'supportbot').replace(/\$__rate_interval/g, '1m');
            return (await prometheus(query)).length;
          })
        );
        return answers.filter((n) => n === 0).length;
      },
      { message: 'Prometheus panels without data', timeout: 120_000, intervals: [2000] }
    )
    .toBe(0);
}

// The page once every panel has drawn its data and none is loading (what the screenshots wait for after a reload).
function allDrawn(page: Page, panels: Panel[]): Locator {
  return panels
    .reduce((main, p) => main.filter({ has: drawn(panelOf(page, p.title), p.type) }), page.locator('main'))
    .filter({ hasNot: page.getByRole('status', { name: 'Panel loading bar' }) });
}

// Every graph's canvas has something on it: uPlot draws after React has rendered the panel.
async function graphsDrawn(page: Page) {
  await expect
    .poll(
      () =>
        page.evaluate(() =>
          [...document.querySelectorAll('main canvas')].every((c) => {
            const canvas = c as HTMLCanvasElement;
            const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
            return pixels.some((v, i) => i % 4 === 3 && v > 0);
          })
        ),
      { message: 'every graph drawn' }
    )
    .toBe(true);
}

async function prometheus(query: string): Promise<Array<{ value: [number, string] }>> {
  const r = await fetch(`${env.prometheus}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query }) });
  expect(r.status).toBe(200);
  return (await r.json()).data.result;
}

const prometheusCount = async (query: string) => Number((await prometheus(query))[0]?.value[1] ?? 0);

async function clickhouse(sql: string): Promise<string> {
  const r = await fetch(`${env.clickhouseHttp}/?readonly=1`, { method: 'POST', body: sql });
  const text = await r.text();
  expect(r.status, text).toBe(200);
  return text.trim();
}

test.describe('the dashboards', () => {
  test.use({ user: { login: 'lena', role: 'Viewer' }, viewport: { width: 1200, height: 900 } });

  test('every dashboard draws every panel from its own queries', async ({ page }) => {
    test.setTimeout(360_000);
    expect(dashboards.map((d) => d.name).sort()).toEqual(['ai-system-supportbot', 'leadership', 'responders']);
    for (const d of dashboards) {
      let range = '';
      if (d.name === 'ai-system-supportbot') {
        // The AI system's metrics exist since the stack started: its dashboard is drawn over the last 3 minutes, once
        // the demo has been scraped for two (120 scrapes, 1 s apart).
        await prometheusHasData(d.panels);
        await expect
          .poll(() => prometheusCount('count_over_time(demo_model_info{ai_system="supportbot"}[5m])'), {
            message: 'two minutes of the demo metrics',
            timeout: 150_000,
            intervals: [5000],
          })
          .toBeGreaterThanOrEqual(120);
        range = '?from=now-3m&to=now';
      }
      await page.goto(`/dev/dashboards/${d.uid}${range}`);
      await expect(page.getByRole('heading', { name: d.title })).toBeVisible();
      for (const p of d.panels as Panel[]) {
        const panel = panelOf(page, p.title);
        await expect(panel, `${d.name}: ${p.title}`).toBeVisible();
        await expect(drawn(panel, p.type), `${d.name}: ${p.title} draws data`).toBeVisible();
        await expect(panel, `${d.name}: ${p.title}`).not.toContainText('No data');
        await expect(panel.getByTestId('data-testid Panel status error'), `${d.name}: ${p.title}`).toHaveCount(0);
      }
      await screenshots(page, `dashboard-${d.name}`, allDrawn(page, d.panels), graphsDrawn);
    }
  });

  test("the leadership figures are ClickHouse's, for all severities and for a selection", async ({ page }) => {
    const [sev1, sev2, sev3] = (
      await clickhouse(
        "SELECT countIf(severity = 'SEV1'), countIf(severity = 'SEV2'), countIf(severity = 'SEV3') " +
          "FROM firebreak.incidents WHERE drill = 0 AND status IN ('declared', 'acknowledged', 'contained') FORMAT TSV"
      )
    ).split('\t');
    expect(Number(sev1) * Number(sev2) * Number(sev3), 'the seed has open incidents of each severity').toBeGreaterThan(
      0
    );
    // BigValue writes counts of 1,000 and more short (1.23 K): the seed's open incidents are fewer.
    expect(Math.max(Number(sev1), Number(sev2), Number(sev3))).toBeLessThan(1000);
    // The figures SEV1, SEV2, SEV3 in that order.
    const shows = (figures: string[]) =>
      expect(panelOf(page, 'Open incidents by severity').getByText(/^\d+$/)).toHaveText(figures);
    await page.goto('/dev/dashboards/firebreak-leadership');
    await shows([sev1, sev2, sev3]);
    // Two of the three: a multi-value variable, put in as 'SEV1','SEV3' by $__conditionalAll(... IN (${severity}) ...).
    await page.goto('/dev/dashboards/firebreak-leadership?var-severity=SEV1&var-severity=SEV3');
    await shows([sev1, '0', sev3]);
  });

  test('a ClickHouse query: macros expanded, a time series made wide, a bad query answered with its error', async ({
    page,
  }) => {
    const to = Date.now();
    const from = to - 30 * 86400_000;
    const query = (rawSql: string, format = 1) => ({
      refId: '',
      datasource: { uid: 'firebreak-clickhouse' },
      rawSql,
      format,
    });
    const res = await page.request.post('/api/ds/query', {
      data: {
        from: String(from),
        to: String(to),
        queries: [
          { ...query('SELECT count() AS n FROM firebreak.incidents WHERE $__timeFilter(declared_at)'), refId: 'count' },
          {
            ...query(
              'SELECT toStartOfDay(declared_at) AS time, toString(severity) AS severity, count() AS n ' +
                'FROM firebreak.incidents WHERE declared_at >= $__fromTime AND declared_at < $__toTime ' +
                'GROUP BY time, severity ORDER BY time, severity',
              0
            ),
            refId: 'wide',
          },
          { ...query('SELECT no_such_column FROM firebreak.incidents'), refId: 'bad' },
          { ...query('SELECT $__no_such_macro'), refId: 'macro' },
        ],
      },
    });
    expect(res.status(), 'a failed query makes the answer a 400, as in Grafana').toBe(400);
    const { results } = await res.json();

    const expected = await clickhouse(
      `SELECT count() FROM firebreak.incidents WHERE declared_at >= toDateTime(${Math.floor(from / 1000)}) ` +
        `AND declared_at <= toDateTime(${Math.floor(to / 1000)}) FORMAT TSV`
    );
    expect(results.count.status).toBe(200);
    expect(results.count.frames[0].schema.fields).toEqual([{ name: 'n', type: 'number' }]);
    expect(results.count.frames[0].data.values).toEqual([[Number(expected)]]);

    const wide = results.wide.frames[0];
    expect(
      wide.schema.fields.map((f: { name: string; type: string; labels?: object }) => [f.name, f.type, f.labels])
    ).toEqual([
      ['time', 'time', undefined],
      ['n', 'number', { severity: 'SEV1' }],
      ['n', 'number', { severity: 'SEV2' }],
      ['n', 'number', { severity: 'SEV3' }],
    ]);
    const days: number[] = wide.data.values[0];
    expect(days.length).toBeGreaterThan(25);
    expect(
      days.every((t, i) => i === 0 || t - days[i - 1] === 86400_000),
      'one row per day, in order'
    ).toBe(true);

    expect(results.bad.status).toBe(400);
    expect(results.bad.error).toMatch(/no_such_column/);
    expect(results.macro).toMatchObject({
      status: 400,
      error: '$__no_such_macro: not a macro of the ClickHouse data source',
    });
  });
});
