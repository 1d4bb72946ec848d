import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type ConsulRegistration, registerWithConsul } from '@outrigger/discovery-consul';
import { afterEach, describe, expect, it } from 'vitest';
import { ConsulDouble } from './support/consul-double.js';
import { until } from './support/traffic.js';

let double: ConsulDouble;
const registrations: ConsulRegistration[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  await Promise.all(registrations.splice(0).map((r) => r.close().catch(() => undefined)));
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await double?.close();
});

async function register(extra: Partial<Parameters<typeof registerWithConsul>[0]> = {}) {
  const r = await registerWithConsul({
    agentAddress: double.address,
    env: {},
    name: 'api',
    id: 'api-1',
    port: 8080,
    drainMs: 0,
    ...extra,
  });
  registrations.push(r);
  return r;
}

const paths = () => double.log.filter((r) => r.method === 'PUT').map((r) => r.path);

describe('registerWithConsul', () => {
  it('registers id, name, address, port, tags, meta and a TTL check with DeregisterCriticalServiceAfter', async () => {
    double = await ConsulDouble.start();
    await register({
      tags: ['v2'],
      meta: { version: 'v2' },
      check: { ttlMs: 5_000 },
      deregisterCriticalAfterMs: 90_000,
    });
    const body = JSON.parse(double.requests(/register$/)[0]!.body);
    expect(body).toMatchObject({
      ID: 'api-1',
      Name: 'api',
      Port: 8080,
      Tags: ['v2'],
      Meta: { version: 'v2' },
      Check: {
        CheckID: 'service:api-1',
        TTL: '5000ms',
        Status: 'passing',
        DeregisterCriticalServiceAfter: '90000ms',
      },
    });
    expect(double.requests(/register$/)[0]?.query.get('replace-existing-checks')).toBe('true');
    expect(double.instances('api')).toEqual([{ id: 'api-1', node: 'node-1', status: 'passing' }]);
  });

  it('keeps a TTL check passing while the process lives (well past the TTL)', async () => {
    double = await ConsulDouble.start();
    await register({ check: { ttlMs: 1_000, heartbeatMs: 200 } });
    await new Promise((r) => setTimeout(r, 2_500));
    expect(double.check('service:api-1')?.Status).toBe('passing');
    expect(double.requests(/\/v1\/agent\/check\/pass\//).length).toBeGreaterThanOrEqual(8);
  });

  it('close(): marks the check critical, waits drainMs, deregisters; heartbeats stop', async () => {
    double = await ConsulDouble.start();
    const r = await register({ check: { ttlMs: 1_000, heartbeatMs: 100 }, drainMs: 200 });
    await until(() => double.requests(/check\/pass/).length > 0);
    const closing = r.close();
    await until(() => double.check('service:api-1')?.Status === 'critical', 1_000);
    expect(double.instances('api')).toHaveLength(1);
    await closing;
    const fail = double.requests(/check\/fail\/service:api-1$/)[0]!;
    const dereg = double.requests(/service\/deregister\/api-1$/)[0]!;
    expect(dereg.at - fail.at).toBeGreaterThanOrEqual(190);
    expect(double.instances('api')).toEqual([]);
    const passes = double.requests(/check\/pass/).length;
    await new Promise((r) => setTimeout(r, 300));
    expect(double.requests(/check\/pass/).length).toBe(passes);
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });

  it('an HTTP check points the agent at the service; draining uses maintenance mode', async () => {
    double = await ConsulDouble.start();
    const { createServer } = await import('node:http');
    const server = createServer((_q, s) => s.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const r = await register({
      port,
      check: { http: `http://127.0.0.1:${port}/health`, intervalMs: 100, timeoutMs: 500 },
    });
    const body = JSON.parse(double.requests(/register$/)[0]!.body);
    expect(body.Check).toMatchObject({
      HTTP: `http://127.0.0.1:${port}/health`,
      Interval: '100ms',
      Timeout: '500ms',
    });
    await until(() => double.check('service:api-1')?.Status === 'passing', 2_000);
    await r.close();
    expect(paths().slice(-2)).toEqual([
      '/v1/agent/service/maintenance/api-1',
      '/v1/agent/service/deregister/api-1',
    ]);
    await new Promise<void>((res) => server.close(() => res()));
  });

  it('a gRPC check is registered as Consul documents it', async () => {
    double = await ConsulDouble.start();
    await register({
      check: { grpc: '127.0.0.1:9090/pay.Payments', grpcUseTls: true, intervalMs: 1_000 },
    });
    expect(JSON.parse(double.requests(/register$/)[0]!.body).Check).toMatchObject({
      GRPC: '127.0.0.1:9090/pay.Payments',
      GRPCUseTLS: true,
      Interval: '1000ms',
    });
  });

  it('registers again when the agent has forgotten the instance (heartbeat answered 404)', async () => {
    double = await ConsulDouble.start();
    await register({ check: { ttlMs: 1_000, heartbeatMs: 100 } });
    double.removeInstance('api-1');
    await until(() => double.instances('api').length === 1, 2_000);
    expect(double.requests(/register$/)).toHaveLength(2);
  });

  it('a refused registration rejects with the agent’s reason, and the token stays out of it', async () => {
    double = await ConsulDouble.start({ token: 'right-token' });
    const error = (await registerWithConsul({
      agentAddress: double.address,
      env: { CONSUL_HTTP_TOKEN: 'secret-wrong' },
      name: 'api',
      port: 80,
    }).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(
      /Consul PUT \/v1\/agent\/service\/register at http:\/\/127\.0\.0\.1:\d+ answered HTTP 403: ACL not found/,
    );
    expect(error.message).not.toContain('secret-wrong');
  });
});

describe('a registered child process', () => {
  const script = fileURLToPath(new URL('./fixtures/registered-child.ts', import.meta.url));

  async function startChild(extraEnv: Record<string, string> = {}) {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, CONSUL_HTTP_ADDR: double.address, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child not ready: ${stderr}`)), 15_000);
      child.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', () => reject(new Error(`child exited early: ${stderr}`)));
    });
    return { child, exited };
  }

  it('on SIGTERM: check critical, drain, deregister, then the process exits by itself', async () => {
    double = await ConsulDouble.start();
    const { child, exited } = await startChild({ DRAIN_MS: '300' });
    expect(double.instances('child')).toEqual([
      { id: 'child-1', node: 'node-1', status: 'passing' },
    ]);
    const signalledAt = performance.now();
    child.kill('SIGTERM');
    const { signal } = await exited;
    const fail = double.requests(/check\/fail\/service:child-1$/)[0];
    const dereg = double.requests(/service\/deregister\/child-1$/)[0];
    expect(fail).toBeDefined();
    expect(dereg).toBeDefined();
    expect(fail!.at).toBeGreaterThanOrEqual(signalledAt);
    expect(dereg!.at - fail!.at).toBeGreaterThanOrEqual(290);
    expect(double.instances('child')).toEqual([]);
    // The helper gave the signal back its default action: the process ended on SIGTERM, not SIGKILL.
    expect(signal).toBe('SIGTERM');
  }, 30_000);

  it('killed without a chance to clean up: the TTL check goes critical, and the agent reaps it', async () => {
    double = await ConsulDouble.start({ minDeregisterMs: 0, reapIntervalMs: 100 });
    const { child, exited } = await startChild();
    child.kill('SIGKILL');
    await exited;
    await until(() => double.check('service:child-1')?.Status === 'critical', 3_000);
    expect(double.check('service:child-1')?.Output).toBe('TTL expired');
    await until(() => double.instances('child').length === 0, 3_000);
    expect(double.requests(/deregister/)).toEqual([]);
  }, 30_000);
});
