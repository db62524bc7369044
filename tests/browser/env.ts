// Playwright's global setup: starts the whole stack once for the run with scripts/stack (ClickHouse, receiver, demo
// AI service, Prometheus, Alertmanager, grafanahost with the plugin backend, and the UI server), on free ports, with
// its state and logs in test-results/browser-stack/ (kept after the run for reading). The returned function stops it.
import { ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { BrowserEnv } from './fixtures';

const root = path.resolve(__dirname, '../..');
const READY = 'Firebreak stack is running';

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

function stop(stack: ChildProcess): Promise<void> {
  if (stack.exitCode !== null || stack.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    // The stack stops what it started on SIGTERM; SIGKILL only if it hangs.
    const force = setTimeout(() => stack.kill('SIGKILL'), 30_000);
    stack.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    stack.kill('SIGTERM');
  });
}

export default async function globalSetup() {
  const dir = path.join(root, 'test-results/browser-stack');
  rmSync(dir, { recursive: true, force: true });
  const names = ['CLICKHOUSE', 'CLICKHOUSE_HTTP', 'RECEIVER', 'DEMO', 'PROMETHEUS', 'ALERTMANAGER', 'GRAFANA', 'UI'];
  const ports: Record<string, number> = {};
  for (const name of names) {
    let port = await freePort();
    while (Object.values(ports).includes(port)) {
      port = await freePort();
    }
    ports[name] = port;
  }
  const env: NodeJS.ProcessEnv = { ...process.env, FIREBREAK_STACK_DIR: dir };
  for (const [name, port] of Object.entries(ports)) {
    env[`FIREBREAK_STACK_${name}_PORT`] = String(port);
  }
  // The stories run over a database already holding many incidents, as a team's does after a while (the queue's
  // paging and filters need it; the other stories find their own incidents among them). FIREBREAK_BROWSER_SEED sets
  // how many (the benchmark takes 1,000,000); one incident has 1,000 events. The stack seeds them before its receiver
  // starts, so the receiver's deadlines and metrics count them as a real deployment's would.
  const seed = Number(process.env.FIREBREAK_BROWSER_SEED ?? 20_000);
  env.FIREBREAK_STACK_SEED = String(seed);
  // scripts/test passes the shipped backend binary; otherwise the stack builds one from ./pkg.
  if (process.env.FIREBREAK_BROWSER_PLUGIN_BINARY) {
    env.FIREBREAK_STACK_PLUGIN_BINARY = path.resolve(root, process.env.FIREBREAK_BROWSER_PLUGIN_BINARY);
  }

  const started = Date.now();
  const stack = spawn(path.join(root, 'scripts/stack'), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (b: Buffer) => (output += b.toString());
  stack.stdout!.on('data', collect);
  stack.stderr!.on('data', collect);
  try {
    await new Promise<void>((resolve, reject) => {
      // Four minutes, and up to ten more for seeding a million incidents (about 3-6 minutes on 2 cores).
      const limit = 240_000 + seed * 0.6;
      const timer = setTimeout(
        () => reject(new Error(`the stack did not start within ${Math.round(limit / 60_000)} minutes`)),
        limit
      );
      stack.stdout!.on('data', () => {
        if (output.includes(READY)) {
          clearTimeout(timer);
          resolve();
        }
      });
      stack.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the stack exited (${code}) while starting`));
      });
    });
  } catch (e) {
    await stop(stack);
    throw new Error(`${(e as Error).message}; logs in ${dir}/logs. Its output:\n${output.slice(-3000)}`);
  }
  console.log(`browser env: the stack started in ${((Date.now() - started) / 1000).toFixed(1)}s (logs: ${dir}/logs)`);

  const url = (port: number) => `http://127.0.0.1:${port}`;
  const browserEnv: BrowserEnv = {
    ui: url(ports.UI),
    grafana: url(ports.GRAFANA),
    prometheus: url(ports.PROMETHEUS),
    alertmanager: url(ports.ALERTMANAGER),
    demo: url(ports.DEMO),
    receiver: url(ports.RECEIVER),
    clickhouseHttp: url(ports.CLICKHOUSE_HTTP),
    dir,
  };
  // Workers inherit the environment of the runner as it is after the global setup.
  process.env.FIREBREAK_BROWSER_ENV = JSON.stringify(browserEnv);
  return () => stop(stack);
}
