import { consulDiscovery } from '@outrigger/discovery-consul';
import { afterEach, describe, expect, it } from 'vitest';
import { backend, trackedClients } from '../http/servers.js';
import { ConsulDouble, type ConsulDouble as Double } from './support/consul-double.js';
import { traffic, until } from './support/traffic.js';

const client = trackedClients();
let double: Double;
afterEach(async () => {
  await double?.close();
});

async function counted() {
  return backend((_req, res) => res.end('ok'));
}

describe('Consul failing under traffic', () => {
  it('a 10 s Consul outage loses no call to a healthy instance, is reported, and the watch recovers by itself', async () => {
    double = await ConsulDouble.start();
    const a = await counted();
    const b = await counted();
    double.addInstance({ id: 'a', name: 'payments', port: a.port, address: '127.0.0.1' });
    double.addInstance({ id: 'b', name: 'payments', port: b.port, address: '127.0.0.1' });
    const discovery = consulDiscovery({
      agentAddress: double.address,
      env: {},
      backoff: { baseMs: 100, maxMs: 1_000 },
    });
    const errors: Error[] = [];
    // A second subscriber on the same watch sees what the client's balancer sees.
    discovery.subscribe('payments', {
      onEndpoints: () => {},
      onError: (e) => errors.push(e as Error),
    });
    const c = client({ service: 'payments', discovery, env: {} });
    // What telemetry counts (event-metrics turns these into the discovery failure counter).
    const failedEvents: number[] = [];
    c.events.on('discovery.failed', (e) => failedEvents.push(e.kept));
    const load = traffic(c, { concurrency: 4, maxMs: 20_000 });
    await until(() => load.result.ok > 100);
    // Five seconds of refused connections, then five of 500s: both kinds of outage, 10 s in all.
    await double.outage('refuse');
    await new Promise((r) => setTimeout(r, 5_000));
    await double.outage('500');
    await new Promise((r) => setTimeout(r, 5_000));
    const okDuringOutage = load.result.ok;
    await double.outage(false);
    const late = await counted();
    double.addInstance({ id: 'late', name: 'payments', port: late.port, address: '127.0.0.1' });
    // Back-off is capped at 1 s here, so the watch is back within about that.
    await until(() => late.hits > 0, 3_000);
    const result = await load.stop();
    expect(result.failed).toBe(0);
    expect(okDuringOutage).toBeGreaterThan(1_000);
    expect(errors.some((e) => /ECONNREFUSED/.test(e.message))).toBe(true);
    expect(errors.some((e) => /HTTP 500/.test(e.message))).toBe(true);
    expect(failedEvents.length).toBeGreaterThan(0);
    expect(new Set(failedEvents)).toEqual(new Set([2]));
    expect(errors[0]?.message).toMatch(
      /^Consul discovery of "payments" .* keeping the last good set; retrying$/,
    );
  }, 30_000);

  it('an agent that stops answering times out after wait + wait/16 + requestTimeoutMs, and the set stays', async () => {
    double = await ConsulDouble.start();
    const a = await counted();
    double.addInstance({ id: 'a', name: 'payments', port: a.port, address: '127.0.0.1' });
    const discovery = consulDiscovery({
      agentAddress: double.address,
      env: {},
      waitMs: 1_000,
      requestTimeoutMs: 200,
      backoff: { baseMs: 50, maxMs: 100 },
    });
    const errors: Error[] = [];
    const sets: number[] = [];
    discovery.subscribe('payments', {
      onEndpoints: (e) => sets.push(e.length),
      onError: (e) => errors.push(e as Error),
    });
    const c = client({ service: 'payments', discovery, env: {} });
    expect((await c.fetch('/')).status).toBe(200);
    await double.untilWaiting();
    await double.outage('hang');
    const hungAt = performance.now();
    await until(() => errors.length > 0, 5_000);
    // 1,000 + 63 + 200 ms from the query's start, a little before hungAt, and never early (it ended
    // after 998 ms when undici's coarse timer got the timeout as it is).
    expect(performance.now() - hungAt).toBeGreaterThanOrEqual(1_200);
    expect(errors[0]?.message).toMatch(/timed out after 1263 ms; keeping the last good set/);
    for (let i = 0; i < 5; i++) expect((await c.fetch('/')).status).toBe(200);
    await double.outage(false);
    const b = await counted();
    double.addInstance({ id: 'b', name: 'payments', port: b.port, address: '127.0.0.1' });
    await until(() => sets.at(-1) === 2, 5_000);
    expect(sets).toEqual([1, 2]);
  }, 20_000);

  for (const [mode, why] of [
    ['malformed', /malformed body: the body is not JSON/],
    ['wrong-shape', /malformed body: the body is not a JSON array/],
    [
      'truncated',
      /failed: .*(terminated|closed|UND_ERR_SOCKET|other side closed)|(reading the body)/,
    ],
    ['huge', /over the 16777216-byte limit \(maxBodyBytes\)/],
    ['500', /HTTP 500/],
  ] as const) {
    it(`a ${mode} response gives a clear error and keeps the last set`, async () => {
      double = await ConsulDouble.start();
      const a = await counted();
      double.addInstance({ id: 'a', name: 'payments', port: a.port, address: '127.0.0.1' });
      const discovery = consulDiscovery({
        agentAddress: double.address,
        env: {},
        backoff: { baseMs: 50, maxMs: 200 },
      });
      const errors: Error[] = [];
      const sets: number[] = [];
      discovery.subscribe('payments', {
        onEndpoints: (e) => sets.push(e.length),
        onError: (e) => errors.push(e as Error),
      });
      const c = client({ service: 'payments', discovery, env: {} });
      expect((await c.fetch('/')).status).toBe(200);
      await double.untilWaiting();
      double.corrupt(mode);
      // A change wakes the blocking query; its answer is the broken body.
      const b = await counted();
      double.addInstance({ id: 'b', name: 'payments', port: b.port, address: '127.0.0.1' });
      await until(() => errors.length > 0, 5_000);
      if (process.env.CONSUL_TEST_REPORT) console.info(mode, errors[0]?.message);
      expect(errors[0]?.message).toMatch(why);
      expect(errors[0]?.message).toMatch(/keeping the last good set/);
      expect(sets).toEqual([1]);
      for (let i = 0; i < 10; i++) expect((await c.fetch('/')).status).toBe(200);
      // The retry's good answer is taken as usual.
      await until(() => sets.length === 2, 5_000);
      expect(sets).toEqual([1, 2]);
    }, 20_000);
  }
});
