import base from './playwright.config';
import { defineConfig } from '@playwright/test';

// The UI benchmark (bench/ui.bench.ts): the stories' setup over a large seeded database, one long run, no retries.
export default defineConfig({ ...base, testDir: './bench', testMatch: /.*\.bench\.ts/, timeout: 30 * 60_000 });
