/**
 * Issue 17, chaos in the control plane: Consul and the Kubernetes API going down (refused, 500s,
 * silence) and answering garbage while an HTTP and a gRPC client call through them. The API
 * doubles are the Consul and Kubernetes teams' (test/src/consul, test/src/k8s), used as they are.
 * Their own suites test each failure in depth; here they meet the rest of the chaos contract:
 * no call lost to a blinking registry, a typed refusal when a client starts with it down, a
 * neighbour unaffected, and nothing left once everything is closed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { NoEndpointsError } from '@outrigger/core';
import { consulDiscovery } from '@outrigger/discovery-consul';
import { k8sDiscovery } from '@outrigger/discovery-k8s';
import { createGrpcClient, type GrpcClientOptions } from '@outrigger/grpc';
import { createHttpClient, type HttpClient, type HttpClientOptions } from '@outrigger/http';
import { afterEach, describe, expect, it } from 'vitest';
import { ConsulDouble } from '../src/consul/support/consul-double.js';
import { Echo, type EchoMessage } from '../src/grpc/support/protos.js';
import { startEchoServer } from '../src/grpc/support/test-service.js';
import { backend, closeBackends } from '../src/http/servers.js';
import { ApiServerDouble } from '../src/k8s/support/apiserver-double.js';
import { type Pod, sliceFor } from '../src/k8s/support/cluster.js';
import { expectUnaffected, neighbour, type Outcome, outcome, sleep } from './support/harness.js';
import { expectNoLeaks, resources } from './support/leaks.js';

const LATE_MS = 250;

const closers: (() => Promise<unknown>)[] = [];
async function closeAll(): Promise<void> {
  for (const close of closers.splice(0).reverse()) await close();
  await closeBackends();
}
afterEach(closeAll);

interface SayClient {
  readonly unary: { Say(m: EchoMessage): Promise<EchoMessage> };
  close(): Promise<void>;
  readonly openChannels: number;
}

function httpClient(options: HttpClientOptions): HttpClient {
  const c = createHttpClient(options);
  closers.push(() => c.close());
  return c;
}

function grpcClient(options: GrpcClientOptions): SayClient {
  const c = createGrpcClient(Echo, options) as unknown as SayClient;
  closers.push(async () => {
    await c.close();
    expect(c.openChannels).toBe(0);
  });
  return c;
}

const ok = (req: IncomingMessage, res: ServerResponse) => {
  req.resume();
  res.end('ok');
};

async function get(c: HttpClient): Promise<void> {
  const res = await c.request('/');
  const text = await res.body.text();
  if (res.statusCode !== 200 || text !== 'ok') throw new Error(`got ${res.statusCode} ${text}`);
}

async function say(c: SayClient): Promise<void> {
  const r = await c.unary.Say({ text: 'd', n: 4 });
  if (r.n !== 4) throw new Error(`got ${JSON.stringify(r)}`);
}

/** Traffic on both clients through the registry, plus a neighbour on static discovery. */
async function startTraffic(http: HttpClient, rpc: SayClient) {
  const b = await backend(ok);
  const other = httpClient({ service: 'neighbour', discovery: [b.address] });
  return {
    http: neighbour(() => get(http), { concurrency: 2, paceMs: 2 }),
    rpc: neighbour(() => say(rpc), { concurrency: 2, paceMs: 2 }),
    neighbour: neighbour(() => get(other)),
  };
}

/** A client made while the registry is down gets a typed refusal within its initial wait. */
function expectColdRefusal(http: Outcome<void>, rpc: Outcome<void>, waitMs: number): void {
  expect(http.ok).toBe(false);
  if (!http.ok) expect(http.error).toBeInstanceOf(NoEndpointsError);
  expect(rpc.ok).toBe(false);
  if (!rpc.ok) {
    expect((rpc.error as { code?: number }).code).toBe(14); // UNAVAILABLE
    expect((rpc.error as Error).cause).toBeInstanceOf(NoEndpointsError);
  }
  expect(Math.max(http.ms, rpc.ms)).toBeLessThan(waitMs + LATE_MS);
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('control-plane chaos', () => {
  it('Consul outages (refused, 500, silent) and malformed answers under traffic', async () => {
    const before = resources();
    const double = await ConsulDouble.start();
    closers.push(() => double.close());
    const [a, b] = [await backend(ok), await backend(ok)];
    const echo = await startEchoServer();
    closers.push(() => echo.close());
    double.addInstance({ id: 'a', name: 'payments', port: a.port, address: '127.0.0.1' });
    double.addInstance({ id: 'b', name: 'payments', port: b.port, address: '127.0.0.1' });
    double.addInstance({ id: 'e', name: 'echo', port: echo.port, address: '127.0.0.1' });
    // Short waits and back-off, so that each outage and each bad answer is met within the case.
    const watch = () =>
      consulDiscovery({
        agentAddress: double.address,
        env: {},
        waitMs: 1_000,
        requestTimeoutMs: 200,
        backoff: { baseMs: 50, maxMs: 100 },
      });
    const http = httpClient({ service: 'payments', discovery: watch(), env: {} });
    const rpc = grpcClient({ service: 'echo', discovery: watch(), env: {} });
    let failedEvents = 0;
    http.events.on('discovery.failed', () => failedEvents++);
    await get(http);
    await say(rpc);
    const load = await startTraffic(http, rpc);

    for (const mode of ['refuse', '500', 'hang'] as const) {
      await double.outage(mode);
      await sleep(700);
    }
    await double.outage(false);
    // Each bad answer is the one a change wakes the blocking query with.
    for (const mode of ['malformed', 'wrong-shape', 'truncated'] as const) {
      double.corrupt(mode, 1, /^\/v1\/health\/service\/payments/);
      const extra = await backend(ok);
      double.addInstance({
        id: `x-${mode}`,
        name: 'payments',
        port: extra.port,
        address: '127.0.0.1',
      });
      await until(() => extra.hits > 0, 3_000, `the instance added after a ${mode} answer`);
    }
    const results = await Promise.all([load.http.stop(), load.rpc.stop()]);
    for (const r of results) {
      expect(r.errors).toEqual([]);
      expect(r.calls).toBeGreaterThan(10);
    }
    expect(failedEvents).toBeGreaterThan(0);

    // Started while Consul is down: NO_ENDPOINTS (gRPC: UNAVAILABLE, NO_ENDPOINTS as cause).
    // The warm clients go first: their watch, shared per Service, would serve the cold ones.
    await Promise.all([http.close(), rpc.close()]);
    await double.outage('refuse');
    const coldHttp = httpClient({
      service: 'payments',
      discovery: watch(),
      env: {},
      discoveryInitialWaitMs: 300,
    });
    const coldRpc = grpcClient({
      service: 'echo',
      discovery: watch(),
      env: {},
      discoveryInitialWaitMs: 300,
    });
    const [h, g] = await Promise.all([outcome(() => get(coldHttp)), outcome(() => say(coldRpc))]);
    expectColdRefusal(h, g, 300);
    await double.outage(false);
    expectUnaffected(await load.neighbour.stop());
    await closeAll();
    await expectNoLeaks(before);
  }, 20_000);

  it('Kubernetes API outages (refused, 500, silent) and malformed objects under traffic', async () => {
    const before = resources();
    const d = await ApiServerDouble.start();
    closers.push(() => d.close());
    const dir = mkdtempSync(join(tmpdir(), 'outrigger-chaos-k8s-'));
    closers.push(async () => rmSync(dir, { recursive: true, force: true }));
    const kubeConfig = () => {
      const kc = new KubeConfig();
      kc.loadFromFile(d.writeKubeconfig(dir, { namespace: 'shop' }));
      return kc;
    };
    // Pods on 127.0.0.1 with a port each: one slice per pod, as the port is read per slice.
    const pod = (name: string, port: number) => ({ name, ip: '127.0.0.1', port }) as Pod;
    const [a, b] = [await backend(ok), await backend(ok)];
    const echo = await startEchoServer();
    closers.push(() => echo.close());
    d.apply(sliceFor('payments-a', [pod('payments-a', a.port)]));
    d.apply(sliceFor('payments-b', [pod('payments-b', b.port)]));
    d.apply(sliceFor('echo-a', [pod('echo-a', echo.port)], {}, 'echo'));
    const watch = () =>
      k8sDiscovery({
        kubeConfig: kubeConfig(),
        port: 'http',
        backoff: { initialMs: 50, maxMs: 200 },
        requestTimeoutMs: 300,
      });
    const http = httpClient({ service: 'payments', discovery: watch() });
    const rpc = grpcClient({ service: 'echo', discovery: watch() });
    const failed: string[] = [];
    http.events.on('discovery.failed', (e) => failed.push(String((e.error as Error).message)));
    await get(http);
    await say(rpc);
    const load = await startTraffic(http, rpc);

    for (const outage of ['refuse', 'error', 'hang'] as const) {
      d.setOutage(outage);
      await sleep(700);
    }
    d.setOutage(undefined);
    // Garbage on the watch, and a slice whose address is not one: reported, the set stays.
    d.inject('ADDED', {
      kind: 'EndpointSlice',
      metadata: {
        name: 'payments-garbage',
        namespace: 'shop',
        labels: { 'kubernetes.io/service-name': 'payments' },
      },
      addressType: 'IPv4',
      endpoints: 'not a list',
      ports: 42,
    });
    const bad = sliceFor('payments-bad', [pod('payments-bad', a.port)]);
    (bad.endpoints as { addresses: string[] }[])[0]!.addresses = ['not-an-ip'];
    d.apply(bad);
    // A change after all that still lands.
    const late = await backend(ok);
    d.apply(sliceFor('payments-late', [pod('payments-late', late.port)]));
    await until(() => late.hits > 0, 3_000, 'the pod added after the outage');
    const results = await Promise.all([load.http.stop(), load.rpc.stop()]);
    for (const r of results) {
      expect(r.errors).toEqual([]);
      expect(r.calls).toBeGreaterThan(10);
    }
    // The outage and the bad slice were reported, not swallowed.
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.some((m) => /payments-bad/.test(m))).toBe(true);

    // Started while the API server is down: NO_ENDPOINTS within the initial wait.
    // The warm clients go first: their watch, shared per Service, would serve the cold ones.
    await Promise.all([http.close(), rpc.close()]);
    d.setOutage('refuse');
    const coldHttp = httpClient({
      service: 'payments',
      discovery: watch(),
      discoveryInitialWaitMs: 300,
    });
    const coldRpc = grpcClient({
      service: 'echo',
      discovery: watch(),
      discoveryInitialWaitMs: 300,
    });
    const [h, g] = await Promise.all([outcome(() => get(coldHttp)), outcome(() => say(coldRpc))]);
    expectColdRefusal(h, g, 300);
    d.setOutage(undefined);
    expectUnaffected(await load.neighbour.stop());
    await closeAll();
    await expectNoLeaks(before);
  }, 20_000);
});
