import { consulDiscovery } from '@outrigger/discovery-consul';
import { afterEach, describe, expect, it } from 'vitest';
import { ConsulDouble } from './support/consul-double.js';
import { until } from './support/traffic.js';

let double: ConsulDouble;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
  await double?.close();
});

function watch(extra: Parameters<typeof consulDiscovery>[0] = {}) {
  const d = consulDiscovery({ agentAddress: double.address, env: {}, ...extra });
  const sets: string[][] = [];
  const errors: Error[] = [];
  const stop = d.subscribe('web', {
    onEndpoints: (e) => sets.push(e.map((x) => x.id)),
    onError: (e) => errors.push(e as Error),
  });
  closers.push(async () => {
    stop();
    await d.close();
  });
  return { sets, errors };
}

const healthQueries = () => double.requests(/^\/v1\/health\/service\/web$/);
const indexes = () => healthQueries().map((r) => r.query.get('index'));

describe('Consul index rules, against the double', () => {
  it('an index that goes backwards resets to 0: a full read at once, then blocking from the new index', async () => {
    double = await ConsulDouble.start();
    double.addInstance({ id: 'a', name: 'web', port: 1 });
    const w = watch();
    await double.untilWaiting();
    const before = Number(indexes().at(-1));
    double.rewind(5);
    await until(() => healthQueries().length >= 4);
    await double.untilWaiting();
    const sent = indexes();
    // ..., blocking at `before`, then the rewound answer makes the next query index-less (0).
    expect(sent.slice(-3)).toEqual([String(before), null, String(before - 5)]);
    double.addInstance({ id: 'b', name: 'web', port: 2 });
    await until(() => w.sets.at(-1)?.length === 2, 2_000);
    expect(w.errors).toEqual([]);
  });

  it('an index below 1 is treated as 1, and the loop does not spin on it', async () => {
    double = await ConsulDouble.start();
    double.addInstance({ id: 'a', name: 'web', port: 1 });
    double.zeroIndex(true);
    const w = watch({ minIntervalMs: 250 });
    await until(() => w.sets.length > 0);
    const started = performance.now();
    await new Promise((r) => setTimeout(r, 1_000));
    const queries = healthQueries().filter((r) => r.at >= started);
    expect(queries.every((r) => r.query.get('index') === '1')).toBe(true);
    // 1 s at one query per 200 ms at most: 5, maybe 6 with the edges. A spinning loop makes thousands.
    expect(queries.length).toBeGreaterThanOrEqual(3);
    expect(queries.length).toBeLessThanOrEqual(6);
  });

  it('queries that return at once with the same index are spaced by minIntervalMs', async () => {
    double = await ConsulDouble.start();
    double.addInstance({ id: 'a', name: 'web', port: 1 });
    const w = watch({ minIntervalMs: 250 });
    await until(() => w.sets.length > 0);
    double.blocking(false);
    const started = performance.now();
    await new Promise((r) => setTimeout(r, 1_000));
    const times = healthQueries()
      .filter((r) => r.at >= started)
      .map((r) => r.at);
    expect(times.length).toBeGreaterThanOrEqual(3);
    expect(times.length).toBeLessThanOrEqual(5);
    // The double records arrivals, not sends. An arrival the loop delayed (CI saw 15 ms on a busy
    // machine) shortens the gap after it by as much; the span only loses the first one's delay.
    // A client spacing queries by 200 ms instead of 250 fails both.
    const LATE_ARRIVAL_MS = 50;
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(
      (times.length - 1) * 250 - LATE_ARRIVAL_MS,
    );
    for (let i = 1; i < times.length; i++)
      expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(250 - LATE_ARRIVAL_MS);
    // A real change is still followed at once once the agent blocks again.
    double.blocking(true);
    await double.untilWaiting();
    double.addInstance({ id: 'b', name: 'web', port: 2 });
    await until(() => w.sets.at(-1)?.length === 2, 1_000);
  });

  it('sends index and wait on every query after the first, with the wait asked for', async () => {
    double = await ConsulDouble.start();
    double.addInstance({ id: 'a', name: 'web', port: 1 });
    watch({
      waitMs: 30_000,
      consistency: 'stale',
      cached: true,
      datacenter: 'dc1',
      namespace: 'default',
      partition: 'default',
    });
    await double.untilWaiting();
    const [first, second] = healthQueries();
    expect(first?.query.has('index')).toBe(false);
    expect(second?.query.get('index')).toBe(String(double.index));
    expect(second?.query.get('wait')).toBe('30000ms');
    expect(second?.query.has('stale')).toBe(true);
    expect(second?.query.has('cached')).toBe(true);
    expect(second?.query.get('dc')).toBe('dc1');
    expect(second?.query.get('ns')).toBe('default');
    expect(second?.query.get('partition')).toBe('default');
  });
});
