import { afterEach, describe, expect, it } from 'vitest';
import type { CallContext } from '../context/call-context.js';
import { staticDiscovery } from '../discovery/static-discovery.js';
import { EventBus } from '../events/events.js';
import type { Route } from '../routing/route.js';
import { ManualClock } from '../time/manual-clock.js';
import { buildChain, type Chain } from './build.js';
import type { ClientSnapshot } from './client-snapshot.js';

const A = '10.0.0.1:80';
const B = '10.0.0.2:80';
const reset = () => Object.assign(new Error('reset'), { code: 'ECONNRESET' });

let chains: Chain<unknown, unknown>[] = [];
afterEach(async () => {
  await Promise.all(chains.map((c) => c.close()));
  chains = [];
});

/** A chain on a manual clock; its calls run on the same clock, as a client's do on the system's. */
function chainOf(
  options: Record<string, unknown>,
  transport: (ctx: CallContext) => Promise<unknown>,
  extra: { without?: string[]; events?: EventBus } = {},
) {
  const clock = new ManualClock(1_000);
  const chain = buildChain<unknown, unknown>({
    options: {
      service: 'payments',
      discovery: [A, B],
      balancer: 'round-robin',
      env: {},
      ...options,
    },
    transport: (_req, ctx) => transport(ctx),
    clock,
    ...extra,
  });
  chains.push(chain);
  const call = () => chain.call(null, { clock });
  return { chain, clock, call, snap: () => chain.snapshot() };
}

const balancerOf = (s: ClientSnapshot) => {
  if (s.balancer === false) throw new Error('no balancer');
  return s.balancer;
};
const endpointOf = (s: ClientSnapshot, id: string) =>
  balancerOf(s).endpoints.find((e) => e.id === id)!;

describe('chain.snapshot(): endpoints', () => {
  it('lists the endpoints from discovery as data, none in flight, no latency yet', () => {
    const { snap } = chainOf({ balancer: 'p2c-ewma' }, async () => 'ok');
    const s = snap();
    expect(s.service).toBe('payments');
    expect(balancerOf(s).name).toBe('p2c-ewma');
    expect(endpointOf(s, A)).toEqual({
      id: A,
      address: A,
      zone: null,
      weight: 1,
      metadata: {},
      inFlight: 0,
      latencyMs: null,
      ejected: false,
      ejectedUntil: null,
      timesEjected: 0,
    });
  });

  it('counts an attempt in flight, and keeps the peak-EWMA latency of the answer', async () => {
    let answer!: () => void;
    const { call, clock, snap } = chainOf(
      { balancer: 'p2c-ewma', discovery: [A] },
      () => new Promise((resolve) => (answer = () => resolve('ok'))),
    );
    const pending = call();
    await Promise.resolve();
    expect(endpointOf(snap(), A).inFlight).toBe(1);
    clock.advance(40);
    answer();
    await pending;
    expect(endpointOf(snap(), A)).toMatchObject({ inFlight: 0, latencyMs: 40 });
  });

  it('shows an ejection with the wall-clock time it ends, and not once that time has come', async () => {
    const { call, clock, snap } = chainOf(
      {
        retry: false,
        breaker: false,
        outlierDetection: { consecutiveFailures: 2, baseEjectionMs: 30_000 },
      },
      async (ctx) => {
        if (ctx.endpoint!.id === A) throw reset();
        return 'ok';
      },
    );
    for (let i = 0; i < 4; i++) await call().catch(() => {});
    const ejected = snap();
    expect(endpointOf(ejected, A)).toMatchObject({ ejected: true, timesEjected: 1 });
    expect(endpointOf(ejected, A).ejectedUntil! - ejected.takenAt).toBe(30_000);
    expect(endpointOf(ejected, B)).toMatchObject({ ejected: false, ejectedUntil: null });
    clock.advance(29_999);
    expect(endpointOf(snap(), A).ejected).toBe(true);
    clock.advance(1);
    expect(endpointOf(snap(), A)).toMatchObject({ ejected: false, ejectedUntil: null });
  });
});

describe('chain.snapshot(): breaker', () => {
  const options = {
    retry: false,
    outlierDetection: false,
    breaker: {
      volumeThreshold: 2,
      errorThresholdPercent: 50,
      resetTimeoutMs: 10_000,
      rollingWindowMs: 10_000,
    },
  };

  it('counts the window while closed, and drops what has left it without a call', async () => {
    const { call, clock, snap } = chainOf(options, async () => {
      throw reset();
    });
    expect(snap().breaker).toMatchObject({
      state: 'closed',
      window: { calls: 0, failures: 0, errorPercent: 0, lengthMs: 10_000 },
      lastOpened: null,
      halfOpenAt: null,
    });
    await call().catch(() => {});
    expect(snap().breaker).toMatchObject({ window: { calls: 1, failures: 1, errorPercent: 100 } });
    clock.advance(10_000);
    expect(snap().breaker).toMatchObject({ window: { calls: 0, failures: 0, errorPercent: 0 } });
  });

  it('shows an open circuit with what opened it and when it may half-open', async () => {
    const events = new EventBus();
    const moves: string[] = [];
    events.on('breaker.half_opened', () => moves.push('half-open'));
    const { call, clock, snap } = chainOf(
      options,
      async () => {
        throw reset();
      },
      { events },
    );
    await call().catch(() => {});
    clock.advance(100);
    await call().catch(() => {});
    const open = snap();
    expect(open.breaker).toMatchObject({
      state: 'open',
      window: { calls: 0, failures: 0 },
      lastOpened: { at: open.takenAt, calls: 2, failures: 2, errorPercent: 100 },
      halfOpenAt: open.takenAt + 10_000,
      trialInFlight: false,
      errorThresholdPercent: 50,
      volumeThreshold: 2,
      resetTimeoutMs: 10_000,
    });
    clock.advance(10_000);
    // Read as the next call would find it, without moving it: no event from looking.
    expect(snap().breaker).toMatchObject({ state: 'half-open', halfOpenAt: null });
    expect(moves).toEqual([]);
  });
});

describe('chain.snapshot(): budget, bulkhead, rate limit', () => {
  it('shows the budget balance drop by the retry, less what the call deposited', async () => {
    let attempts = 0;
    const { call, clock, snap } = chainOf(
      { retry: { maxAttempts: 2, budget: { ratio: 0.2, minPerSecond: 10, ttlMs: 10_000 } } },
      async () => {
        if (++attempts === 1) throw reset();
        return 'ok';
      },
    );
    expect(snap().budget).toEqual({ balance: 100, ratio: 0.2, minPerSecond: 10, ttlMs: 10_000 });
    const pending = call();
    await clock.advanceAsync(1_000); // the backoff before the retry
    await expect(pending).resolves.toBe('ok');
    expect(attempts).toBe(2);
    expect(snap().budget).toMatchObject({ balance: 99.2 });
  });

  it('counts a call holding the bulkhead and one queued behind it', async () => {
    const answers: (() => void)[] = [];
    const { call, snap } = chainOf(
      { bulkhead: { maxConcurrent: 1, maxQueue: 3 } },
      () => new Promise((resolve) => answers.push(() => resolve('ok'))),
    );
    expect(snap().bulkhead).toEqual({
      inFlight: 0,
      queued: 0,
      maxConcurrent: 1,
      maxQueue: 3,
      queueTimeoutMs: null,
    });
    const first = call();
    const second = call();
    await Promise.resolve();
    expect(snap().bulkhead).toMatchObject({ inFlight: 1, queued: 1 });
    answers.shift()!();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(snap().bulkhead).toMatchObject({ inFlight: 1, queued: 0 });
    answers.shift()!();
    await second;
    expect(snap().bulkhead).toMatchObject({ inFlight: 0, queued: 0 });
  });

  it('shows the rate limiter’s tokens as calls take them and time refills them', async () => {
    const { call, clock, snap } = chainOf(
      { rateLimit: { perSecond: 10, burst: 5 } },
      async () => 'ok',
    );
    expect(snap().rateLimit).toEqual({ tokens: 5, perSecond: 10, burst: 5 });
    await call();
    await call();
    expect(snap().rateLimit).toMatchObject({ tokens: 3 });
    clock.advance(150);
    expect(snap().rateLimit).toMatchObject({ tokens: 4.5 });
  });
});

describe('chain.snapshot(): routes and positions that are off', () => {
  it('lists the routes as given, with the split in force, and follows setRoutes', () => {
    const routes: Route[] = [
      {
        name: 'canary',
        match: {
          method: ['GET', 'HEAD'],
          path: { prefix: '/charges' },
          headers: {
            'x-tier': 'gold',
            'x-canary': { regex: /^yes$/i },
            'x-debug': { present: false },
          },
        },
        split: [
          { subset: { version: 'v1' }, weight: 95 },
          { subset: { version: 'v2', zone: 'eu-1' }, weight: 5 },
        ],
      },
      { match: { path: { exact: '/health' } } },
    ];
    const { chain, snap } = chainOf({ routes }, async () => 'ok');
    expect(balancerOf(snap()).routes).toEqual([
      {
        name: 'canary',
        match: {
          method: ['GET', 'HEAD'],
          path: { prefix: '/charges' },
          headers: {
            'x-tier': 'gold',
            'x-canary': { regex: '/^yes$/i' },
            'x-debug': { present: false },
          },
        },
        split: [
          { subset: { version: 'v1' }, weight: 95 },
          { subset: { version: 'v2', zone: 'eu-1' }, weight: 5 },
        ],
      },
      {
        name: 'routes[1]',
        match: { path: { exact: '/health' } },
        split: [{ subset: {}, weight: 1 }],
      },
    ]);
    // A copy: changing the given routes afterwards changes neither routing nor the snapshot.
    routes[0]!.name = 'renamed';
    expect(balancerOf(snap()).routes[0]!.name).toBe('canary');
    chain.setRoutes([{ name: 'all', match: { method: 'POST' } }]);
    expect(balancerOf(snap()).routes).toEqual([
      { name: 'all', match: { method: 'POST' }, split: [{ subset: {}, weight: 1 }] },
    ]);
  });

  it('shows each position that is off as false', () => {
    const { snap } = chainOf(
      { retry: false, breaker: false, env: { OUTRIGGER_PAYMENTS_BULKHEAD: 'off' } },
      async () => 'ok',
      { without: ['route + balancer', 'outlier-detection'] },
    );
    expect(snap()).toMatchObject({
      balancer: false,
      breaker: false,
      budget: false,
      bulkhead: false,
      rateLimit: false,
    });
  });

  it('is plain data that survives JSON unchanged', async () => {
    const { call, snap } = chainOf(
      {
        rateLimit: { perSecond: 100 },
        routes: [{ name: 'r', match: { headers: { v: { regex: /x/ } } } }],
        discovery: staticDiscovery([
          { host: '::1', port: 80, zone: 'eu-1', metadata: { version: 'v2' } },
          B,
        ]),
      },
      async () => 'ok',
    );
    await call();
    const s = snap();
    expect(endpointOf(s, '[::1]:80')).toMatchObject({
      address: '[::1]:80',
      zone: 'eu-1',
      metadata: { version: 'v2' },
    });
    expect(JSON.parse(JSON.stringify(s))).toStrictEqual(s);
  });
});
