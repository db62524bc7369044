import { expect, test } from '../fixtures';

// The /api/ds/query test double (server.mjs): what Grafana's Prometheus answers, computed from the real Prometheus.
test.describe('the /api/ds/query test double', () => {
  test.use({ user: { login: 'vera', role: 'Viewer' } });

  test('answers a range query with one data frame per series, and a bad query with its error', async ({ page }) => {
    const now = Date.now();
    const query = (expr: string) =>
      page.request.post('/api/ds/query', {
        data: {
          from: String(now - 60_000),
          to: String(now),
          queries: [
            {
              refId: 'A',
              expr,
              range: true,
              intervalMs: 5000,
              legendFormat: '{{job}}',
              datasource: { type: 'prometheus', uid: 'firebreak-prometheus' },
            },
          ],
        },
      });

    const ok = await query('up{job="supportbot"}');
    expect(ok.status()).toBe(200);
    const [frame] = (await ok.json()).results.A.frames;
    expect(frame.schema.fields[1].labels).toMatchObject({ job: 'supportbot' });
    expect(frame.schema.fields[1].config.displayNameFromDS).toBe('supportbot');
    const [times, values] = frame.data.values;
    expect(times.length).toBeGreaterThan(0);
    expect(times.every((t: number) => t % 5000 === 0)).toBe(true);
    expect(values.at(-1)).toBe(1);

    // $__rate_interval is Grafana's server's to fill in: max(step + scrape interval, 4 x scrape interval (15s)).
    const rate = await query('rate(up{job="supportbot"}[$__rate_interval])');
    expect(rate.status()).toBe(200);
    const [rateFrame] = (await rate.json()).results.A.frames;
    expect(rateFrame.schema.meta.executedQueryString).toContain('[60s]');

    const bad = await query('up{');
    expect(bad.status()).toBe(400);
    expect((await bad.json()).results.A.error).toContain('parse error');
  });
});
