/**
 * Every runnable example runs: each is started as a user would start it (its TypeScript source
 * through tsx, against the built packages), must exit 0 by itself within a bound, and must print
 * what it claims to show.
 */
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runExample(
  file: string,
  args: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `examples/src/${file}`, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env, NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    // An example that does not exit by itself within the bound fails (and is killed).
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A port free on 127.0.0.1 now (the exporter example takes a port number, not 0). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `{ a: 3, b: 1 }` printed by console.log, after `label`. */
function counts(stdout: string, label: string): Record<string, number> {
  const line = stdout.split('\n').find((l) => l.includes(label));
  if (line === undefined) throw new Error(`no line with "${label}" in:\n${stdout}`);
  const out: Record<string, number> = {};
  for (const m of line.slice(line.indexOf('{')).matchAll(/'?([\w-]+)'?: (\d+)/g)) {
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

// Each example is its own process: they run side by side.
describe.concurrent('examples', { timeout: 60_000 }, () => {
  it('http-basic: P2C-EWMA sends most calls to the fast instance', async () => {
    const run = await runExample('http-basic.ts');
    expect(run.code, run.stderr).toBe(0);
    const share = counts(run.stdout, 'answers per instance');
    expect((share.fast ?? 0) + (share.slow ?? 0)).toBe(200);
    expect(share.fast).toBeGreaterThan(share.slow ?? 0);
    expect(run.stdout).toContain('Outrigger client for "catalog"');
  });

  it('env-config: every setting from OUTRIGGER_* variables, and describe() says so', async () => {
    const run = await runExample('env-config.ts', [], { OUTRIGGER_INVENTORY_TIMEOUT_MS: '700' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^200 inventory$/m);
    expect(run.stdout).toMatch(/timeout\.totalMs\s+700\s+env OUTRIGGER_INVENTORY_TIMEOUT_MS/);
    expect(run.stdout).toMatch(
      /retry\.maxAttempts\s+2\s+env OUTRIGGER_INVENTORY_RETRY_MAX_ATTEMPTS/,
    );
  });

  it('canary: a 90/10 split by metadata, a header pin, and a split shifted at run time', async () => {
    const run = await runExample('canary.ts');
    expect(run.code, run.stderr).toBe(0);
    const split = counts(run.stdout, '90/10 split');
    expect(split.v1! + split.v2!).toBe(500);
    expect(split.v2! / 500).toBeGreaterThan(0.03);
    expect(split.v2! / 500).toBeLessThan(0.2);
    expect(counts(run.stdout, 'x-canary: always')).toEqual({ v2: 20 });
    const shifted = counts(run.stdout, 'after setRoutes');
    expect(shifted.v2! / 500).toBeGreaterThan(0.35);
    expect(shifted.v2! / 500).toBeLessThan(0.65);
  });

  it('fault-drill: injected failures are retried away and counted', async () => {
    const run = await runExample('fault-drill.ts');
    expect(run.code, run.stderr).toBe(0);
    const statuses = counts(run.stdout, 'statuses the caller saw');
    expect(statuses['200']! / 200).toBeGreaterThan(0.9);
    const injected = /injected: (\d+) aborts, (\d+) delays; retries: (\d+)/.exec(run.stdout);
    expect(Number(injected?.[1])).toBeGreaterThan(20);
    expect(Number(injected?.[2])).toBeGreaterThan(10);
    expect(Number(injected?.[3])).toBeGreaterThan(20);
  });

  it('grpc-basic: the generated client drop-in, callback and promise forms, all answered', async () => {
    const run = await runExample('grpc-basic.ts');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("message: 'hello, callback'");
    const share = counts(run.stdout, 'answers per instance');
    expect((share.steady ?? 0) + (share.flaky ?? 0)).toBe(40);
  });

  it('three-hops: deadlines shrink hop by hop and the three hops are one trace', async () => {
    const run = await runExample('three-hops.ts');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('edge > orders > inventory > in stock');
    expect(run.stdout).toContain('one trace: true');
    const budgets = [...run.stdout.matchAll(/(\w+) got (\d+) ms of deadline/g)].map((m) => [
      m[1],
      Number(m[2]),
    ]);
    expect(budgets.map(([hop]) => hop)).toEqual(['edge', 'orders', 'inventory']);
    const ms = budgets.map(([, left]) => left as number);
    expect(ms[0]).toBeLessThanOrEqual(600);
    expect(ms[1]).toBeLessThanOrEqual(ms[0]!);
    expect(ms[2]).toBeLessThanOrEqual(ms[1]!);
    // Six spans, each service's call span over its attempt span, nested hop by hop.
    expect(run.stdout.match(/^\s*GET \w+( attempt 1)? [0-9a-f]{16}$/gm)).toHaveLength(6);
  });

  it('telemetry/console: the Node SDK prints the spans', async () => {
    const run = await runExample('telemetry/console.ts');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("'outrigger.service': 'payments'");
  });

  it('telemetry/prometheus: serves Outrigger series on a local port', async () => {
    const run = await runExample('telemetry/prometheus.ts', [String(await freePort())]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /^http_client_request_duration_bucket\{.*outrigger_service="payments"/m,
    );
    expect(run.stdout).toMatch(/^outrigger_client_attempts_total\{/m);
  });
});
