import { defineConfig } from '@playwright/test';

// Browser stories against the real stack (env.ts starts it once per run) and the plugin's shipped dist/, in Debian's
// Chromium (scripts/install-deps --browser): Playwright's own browser downloads are not used.
export default defineConfig({
  testDir: './stories',
  outputDir: '../../test-results/browser',
  globalSetup: './env.ts',
  // A story that takes 6 s alone took 27 s while other test suites loaded the 2 cores (load average 9).
  timeout: 60_000,
  expect: { timeout: 10_000 },
  // One page at a time: the stories share the stack (and its ClickHouse) on 2 cores.
  workers: 1,
  retries: 0,
  forbidOnly: Boolean(process.env.CI),
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.FIREBREAK_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    viewport: { width: 1280, height: 800 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
