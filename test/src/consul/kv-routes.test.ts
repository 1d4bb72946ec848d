import { consulDiscovery, watchConsulRoutes } from '@outrigger/discovery-consul';
import { afterEach, describe, expect, it } from 'vitest';
import { type Backend, backend, trackedClients } from '../http/servers.js';
import { ConsulDouble } from './support/consul-double.js';
import { meanCallMs, traffic, until } from './support/traffic.js';

const client = trackedClients();
let double: ConsulDouble;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
  await double?.close();
});

interface Versioned extends Backend {
  lastHitAt: number;
  firstHitAfter(t: number): number | undefined;
}

async function versioned(): Promise<Versioned> {
  const hits: number[] = [];
  const b = (await backend((_req, res) => {
    hits.push(performance.now());
    res.end('ok');
  })) as Versioned;
  b.firstHitAfter = (t) => hits.find((h) => h >= t);
  return b;
}

const split = (v1: number, v2: number) =>
  JSON.stringify({
    routes: [
      {
        name: 'canary',
        split: [
          { subset: { version: 'v1' }, weight: v1 },
          { subset: { version: 'v2' }, weight: v2 },
        ],
      },
    ],
  });

async function setup() {
  double = await ConsulDouble.start();
  const v1 = await versioned();
  const v2 = await versioned();
  double.addInstance({
    id: 'v1',
    name: 'payments',
    port: v1.port,
    address: '127.0.0.1',
    meta: { version: 'v1' },
  });
  double.addInstance({
    id: 'v2',
    name: 'payments',
    port: v2.port,
    address: '127.0.0.1',
    meta: { version: 'v2' },
  });
  double.putKv('config/payments/routes', split(100, 0));
  const c = client({
    service: 'payments',
    discovery: consulDiscovery({ agentAddress: double.address, env: {} }),
    env: {},
  });
  const errors: Error[] = [];
  const applied: unknown[] = [];
  const appliedAt: number[] = [];
  const watch = watchConsulRoutes({
    agentAddress: double.address,
    env: {},
    key: 'config/payments/routes',
    target: c,
    onError: (e) => errors.push(e as Error),
    onApplied: (r) => {
      applied.push(r);
      appliedAt.push(performance.now());
    },
  });
  closers.push(() => watch.close());
  await watch.ready;
  return { c, v1, v2, errors, applied, appliedAt, watch };
}

const routeNames = (c: ReturnType<typeof client>) => {
  const { balancer } = c.snapshot();
  if (balancer === false) throw new Error('no balancer');
  return balancer.routes;
};

describe('routes from a Consul KV key', () => {
  it('a KV change shifts the split within 100 ms, with no call dropped', async () => {
    const { c, v1, v2, applied, appliedAt } = await setup();
    expect(applied).toHaveLength(1);
    const load = traffic(c, { concurrency: 4 });
    await until(() => v1.hits > 50);
    expect(v2.hits).toBe(0);
    const latencies: number[] = [];
    const appliedIn: number[] = [];
    // Bounded: five flips, each measured from the write in Consul to the table applied to the
    // client and to the first call landing on the new side.
    for (let i = 0; i < 5; i++) {
      const [to, from] = i % 2 === 0 ? [v2, v1] : [v1, v2];
      const changedAt = performance.now();
      const count = applied.length;
      double.putKv('config/payments/routes', i % 2 === 0 ? split(0, 100) : split(100, 0));
      await until(() => to.firstHitAfter(changedAt) !== undefined, 2_000);
      latencies.push(to.firstHitAfter(changedAt)! - changedAt);
      expect(applied.length).toBe(count + 1);
      appliedIn.push(appliedAt.at(-1)! - changedAt);
      // And the old side stops getting new calls (once the calls already picked have landed).
      await new Promise((r) => setTimeout(r, 100 + 4 * meanCallMs(load.result)));
      const fromHits = from.hits;
      await new Promise((r) => setTimeout(r, 100));
      expect(from.hits).toBe(fromHits);
    }
    const result = await load.stop();
    if (process.env.CONSUL_TEST_REPORT) {
      const f = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(' ');
      console.info(
        `KV write → applied (ms) ${f(appliedIn)}; → first call on the new side (ms) ${f(latencies)}; mean call ${meanCallMs(load.result).toFixed(1)} ms`,
      );
    }
    expect(result.failed).toBe(0);
    // Within 100 ms of the write, plus two mean call times of slack (the reasoning is the one in
    // discovery.test.ts: calls in progress hold the workers, and a loaded machine slows all):
    // the table applied (2-20 ms on a quiet machine), then the first call on the new side.
    const slack = 2 * meanCallMs(result);
    expect(appliedIn.filter((ms) => ms < 100 + slack).length).toBeGreaterThanOrEqual(4);
    expect(Math.max(...appliedIn)).toBeLessThan(250 + slack);
    const sorted = [...latencies].sort((a, b) => a - b);
    expect(sorted[2]).toBeLessThan(100 + slack);
    expect(sorted.at(-1)).toBeLessThan(250 + slack);
  });

  it('a malformed value is refused and reported, and the last routes stay in force', async () => {
    const { c, v1, v2, errors, watch } = await setup();
    const before = routeNames(c);
    double.putKv('config/payments/routes', '{"routes": [{"name": "canary", "split": [');
    await until(() => errors.length === 1, 2_000);
    expect(errors[0]).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(errors[0]?.message).toMatch(
      /^Consul KV config\/payments\/routes=.*not JSON.*the last valid routes stay in force/,
    );
    // Valid JSON, invalid table: named by the same schema as code routes.
    double.putKv(
      'config/payments/routes',
      JSON.stringify([{ name: 'x', split: [{ subset: { version: 'v2' }, weight: -1 }] }]),
    );
    await until(() => errors.length === 2, 2_000);
    expect(errors[1]?.message).toMatch(/routes\[0\]\.split\[0\]\.weight/);
    expect(routeNames(c)).toEqual(before);
    expect(watch.routes).toEqual(JSON.parse(split(100, 0)).routes);
    for (let i = 0; i < 20; i++) await (await c.fetch('/')).text();
    expect(v2.hits).toBe(0);
    expect(v1.hits).toBeGreaterThanOrEqual(20);
    // A good value afterwards is applied as usual.
    double.putKv('config/payments/routes', split(0, 100));
    await until(() => routeNames(c)[0]?.split[0]?.weight === 0, 2_000);
  });

  it('a missing key leaves the code routes alone; a header regex in JSON works', async () => {
    double = await ConsulDouble.start();
    const v1 = await versioned();
    const v2 = await versioned();
    double.addInstance({
      id: 'v1',
      name: 'payments',
      port: v1.port,
      address: '127.0.0.1',
      meta: { version: 'v1' },
    });
    double.addInstance({
      id: 'v2',
      name: 'payments',
      port: v2.port,
      address: '127.0.0.1',
      meta: { version: 'v2' },
    });
    const c = client({
      service: 'payments',
      discovery: consulDiscovery({ agentAddress: double.address, env: {} }),
      env: {},
      routes: [{ name: 'code', split: [{ subset: { version: 'v1' }, weight: 1 }] }],
    });
    const watch = watchConsulRoutes({
      agentAddress: double.address,
      env: {},
      key: 'config/payments/routes',
      target: c,
    });
    closers.push(() => watch.close());
    await watch.ready;
    expect(routeNames(c).map((r) => r.name)).toEqual(['code']);
    double.putKv(
      'config/payments/routes',
      JSON.stringify([
        {
          name: 'beta',
          match: { headers: { 'x-user': { regex: '^beta-' } } },
          split: [{ subset: { version: 'v2' }, weight: 1 }],
        },
        { name: 'rest', split: [{ subset: { version: 'v1' }, weight: 1 }] },
      ]),
    );
    await until(() => routeNames(c)[0]?.name === 'beta', 2_000);
    await (await c.fetch('/', { headers: { 'x-user': 'beta-7' } })).text();
    await (await c.fetch('/', { headers: { 'x-user': 'alpha' } })).text();
    expect([v1.hits, v2.hits]).toEqual([1, 1]);
  });
});
