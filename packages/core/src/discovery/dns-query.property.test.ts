import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { buildChain } from '../chain/build.js';
import type { Clock } from '../time/clock.js';
import { ManualClock, settle } from '../time/manual-clock.js';
import type { Discovery } from './discovery.js';
import { dnsDiscovery } from './dns-discovery.js';
import { resolveHost, resolveService } from './dns-query.js';
import type { DnsResolver } from './dns-resolver.js';
import type { Endpoint } from './endpoint.js';

/**
 * Fuzzed inputs: DNS answers come from a server nobody here controls (or a resolver of
 * the user's). Whatever the records hold, a resolution either gives endpoints that can be dialled
 * (an IP address, a port from 1 to 65535, a finite positive weight, one per id) and a TTL that
 * is a number of ms or none, or fails; DNS discovery then keeps the last good set and retries no
 * sooner than `minIntervalMs`, never in a hot loop.
 */

// A property runs many cases: room for a loaded CI machine (each case has its own fast-check timeout).
vi.setConfig({ testTimeout: 30_000 });

const MIN_INTERVAL_MS = 1_000;
const INTERVAL_MS = 30_000;

const ipv4 = fc.ipV4();
const ipv6 = fc.ipV6();
const address = fc.oneof(
  { weight: 4, arbitrary: ipv4 },
  { weight: 2, arbitrary: ipv6 },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '10.0.0.1 ',
      'not-an-ip',
      '999.1.1.1',
      '10.0.0.1:80',
      '[::1]',
      '::ffff:1.2.3.4',
      'fe80::1%eth0',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 16 }) },
);
const numberish: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -1,
    -0,
    0,
    1.5,
    2 ** 31,
    2 ** 53 + 2,
    '30',
    null,
    undefined,
  ),
  fc.integer({ min: -10, max: 100_000 }),
  fc.double(),
);
const ttl = fc.oneof(
  { weight: 4, arbitrary: fc.nat({ max: 86_400 }) },
  { weight: 1, arbitrary: numberish },
);
const port = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 65_535 }) },
  { weight: 1, arbitrary: numberish },
);
const small = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 65_535 }) },
  { weight: 1, arbitrary: numberish },
);
const targetName = fc.constantFrom(
  'a.svc',
  'b.svc',
  'c.svc',
  '',
  ' ',
  '.',
  'a.svc.',
  'x y',
  '10.0.0.9',
  '::1',
);

/** What a resolver call may do: answer records, answer something that is not a list, or fail. */
function answer<T>(record: fc.Arbitrary<T>): fc.Arbitrary<{ ok: unknown } | { fail: unknown }> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.array(record, { maxLength: 5 }).map((ok) => ({ ok })) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(null, undefined, {}, 'x', 5, [null], [5]).map((ok) => ({ ok })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' }),
          'a string',
          undefined,
          null,
        )
        .map((fail) => ({ fail })),
    },
  );
}

const addressRecord = fc.record({ address, ttl }, { requiredKeys: [] });
const srvRecord = fc.record(
  { name: targetName, port, priority: small, weight: small },
  { requiredKeys: [] },
);
const lookupRecord = fc.record({
  address,
  family: fc.constantFrom<unknown>(4, 6, 0, '4', undefined),
});

/** Answers per name, always with one for `a.svc`, the name A/AAAA discovery asks for. */
const perName = fc
  .tuple(
    answer(addressRecord),
    fc.dictionary(targetName, answer(addressRecord), { maxKeys: 3, noNullPrototype: true }),
  )
  .map(
    ([main, rest]) =>
      ({ ...rest, 'a.svc': main }) as Record<string, { ok: unknown } | { fail: unknown }>,
  );

/** One DNS server's state: per name and type, what a query gets. */
const zone = fc.record({
  a: perName,
  aaaa: perName,
  srv: answer(srvRecord),
  lookup: fc.option(answer(lookupRecord), { nil: undefined }),
});
type Zone = typeof zone extends fc.Arbitrary<infer Z> ? Z : never;

function reply(entry: { ok: unknown } | { fail: unknown } | undefined): Promise<never> {
  if (entry === undefined)
    return Promise.reject(Object.assign(new Error('ENODATA'), { code: 'ENODATA' }));
  return 'ok' in entry ? Promise.resolve(entry.ok as never) : Promise.reject(entry.fail);
}

/** A resolver answering from `current()`, so a test can change the zone between resolutions. */
function resolverFor(current: () => Zone): DnsResolver {
  return {
    resolve4: (name) => reply(current().a[name]),
    resolve6: (name) => reply(current().aaaa[name]),
    resolveSrv: () => reply(current().srv),
    lookup: () => reply(current().lookup),
  };
}

/** An endpoint a transport can dial, and the balancer can weigh. */
function expectDialable(endpoints: readonly Endpoint[]): void {
  const ids = new Set<string>();
  for (const e of endpoints) {
    expect(isIP(e.host), `host ${JSON.stringify(e.host)}`).not.toBe(0);
    expect(
      Number.isInteger(e.port) && e.port >= 1 && e.port <= 65_535,
      `port ${String(e.port)}`,
    ).toBe(true);
    expect(Number.isFinite(e.weight) && e.weight > 0, `weight ${e.weight}`).toBe(true);
    expect(e.id).toBe(isIP(e.host) === 6 ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`);
    expect(ids.has(e.id)).toBe(false);
    ids.add(e.id);
  }
}

async function outcome<T>(promise: Promise<T>): Promise<{ ok: T } | { error: unknown }> {
  try {
    return { ok: await promise };
  } catch (error) {
    return { error };
  }
}

describe('DNS answers', () => {
  it('A/AAAA: dialable endpoints and a TTL of 0 ms or more, or a failure', async () => {
    await fc.assert(
      fc.asyncProperty(zone, fc.constantFrom<4 | 6 | 'any'>(4, 6, 'any'), async (z, family) => {
        const result = await outcome(
          resolveHost(
            resolverFor(() => z),
            'a.svc',
            8080,
            family,
          ),
        );
        if ('error' in result) return;
        expectDialable(result.ok.endpoints);
        expect(result.ok.endpoints.length).toBeGreaterThan(0);
        const ttlMs = result.ok.ttlMs;
        if (ttlMs !== undefined)
          expect(Number.isFinite(ttlMs) && ttlMs >= 0, `ttlMs ${ttlMs}`).toBe(true);
      }),
      { numRuns: 200, timeout: 2_000 },
    );
  });

  it('SRV: dialable endpoints from the lowest priority, and a TTL of 0 ms or more, or a failure', async () => {
    await fc.assert(
      fc.asyncProperty(zone, async (z) => {
        const result = await outcome(
          resolveService(
            resolverFor(() => z),
            '_http._tcp.svc',
            'any',
          ),
        );
        if ('error' in result) return;
        expectDialable(result.ok.endpoints);
        const ttlMs = result.ok.ttlMs;
        if (ttlMs !== undefined)
          expect(Number.isFinite(ttlMs) && ttlMs >= 0, `ttlMs ${ttlMs}`).toBe(true);
      }),
      { numRuns: 200, timeout: 2_000 },
    );
  });
});

/** Records the delay of every timer, which a ManualClock would silently never fire if NaN. */
function recordingClock(): { clock: Clock & ManualClock; delays: number[] } {
  const clock = new ManualClock();
  const delays: number[] = [];
  const setTimeout = clock.setTimeout.bind(clock);
  clock.setTimeout = (callback, ms) => {
    delays.push(ms);
    return setTimeout(callback, ms);
  };
  return { clock, delays };
}

describe('DNS discovery over junk answers', () => {
  const good: Zone = {
    a: {
      'a.svc': { ok: [{ address: '10.0.0.1', ttl: 30 }] },
      'b.svc': { ok: [{ address: '10.0.0.2', ttl: 30 }] },
    },
    aaaa: {},
    srv: {
      ok: [
        { name: 'a.svc', port: 80, priority: 1, weight: 1 },
        { name: 'b.svc', port: 81, priority: 1, weight: 1 },
      ],
    },
    lookup: undefined,
  };

  it('delivers dialable sets or errors, keeps the last good set, and never retries sooner than minIntervalMs', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.array(zone, { minLength: 1, maxLength: 3 }),
        async (srv, zones) => {
          let current: Zone = good;
          const { clock, delays } = recordingClock();
          const discovery: Discovery = dnsDiscovery({
            hostname: srv ? '_http._tcp.svc' : 'a.svc',
            ...(srv ? { srv: true } : { port: 8080 }),
            resolver: resolverFor(() => current),
            clock,
            minIntervalMs: MIN_INTERVAL_MS,
            intervalMs: INTERVAL_MS,
          });
          const sets: (readonly Endpoint[])[] = [];
          let errors = 0;
          const stop = discovery.subscribe('svc', {
            onEndpoints: (endpoints) => sets.push(endpoints),
            onError: () => errors++,
          });
          try {
            await settle();
            expect(sets).toHaveLength(1);
            for (const next of zones) {
              current = next;
              const before = { sets: sets.length, errors };
              await clock.advanceAsync(INTERVAL_MS);
              // Each resolution either delivered a set or reported an error (an unchanged set is neither).
              for (const set of sets.slice(before.sets)) {
                expect(set.length).toBeGreaterThan(0);
                expectDialable(set);
              }
            }
            for (const ms of delays) {
              expect(
                Number.isFinite(ms) && ms >= MIN_INTERVAL_MS && ms <= INTERVAL_MS,
                `timer ${ms}`,
              ).toBe(true);
            }
            // A late subscriber still gets the last good set, whatever came after it.
            let late: readonly Endpoint[] | undefined;
            const stopLate = discovery.subscribe('svc', { onEndpoints: (e) => (late = e) });
            expect(late).toBe(sets[sets.length - 1]);
            stopLate();
          } finally {
            stop();
            await discovery.close();
          }
        },
      ),
      { numRuns: 40, timeout: 2_000 },
    );
  });
  it('leaves the balancer of a client on the last good set through a junk answer', async () => {
    await fc.assert(
      fc.asyncProperty(zone, async (junkZone) => {
        let current: Zone = good;
        const clock = new ManualClock();
        const discovery = dnsDiscovery({
          hostname: 'a.svc',
          port: 8080,
          resolver: resolverFor(() => current),
          clock,
          minIntervalMs: MIN_INTERVAL_MS,
          intervalMs: INTERVAL_MS,
        });
        const chain = buildChain({
          options: { service: 'svc', discovery, env: {} },
          transport: async () => 'ok',
          clock,
        });
        const inForce = () => {
          const balancer = chain.snapshot().balancer;
          if (balancer === false) throw new Error('the chain has no balancer');
          return balancer.endpoints.map((e) => e.id);
        };
        try {
          await settle();
          expect(inForce()).toEqual(['10.0.0.1:8080']);
          current = junkZone;
          await clock.advanceAsync(INTERVAL_MS);
          const ids = inForce();
          // The same answer read on its own says what the balancer must now have.
          const read = await outcome(
            resolveHost(
              resolverFor(() => junkZone),
              'a.svc',
              8080,
              'any',
            ),
          );
          expect(ids).toEqual(
            'error' in read ? ['10.0.0.1:8080'] : read.ok.endpoints.map((e) => e.id),
          );
          // Unchanged, or a readable non-empty answer: never emptied, never undialable.
          expect(ids.length).toBeGreaterThan(0);
          for (const id of ids) {
            expect(id.endsWith(':8080'), id).toBe(true);
            expect(isIP(id.slice(0, -':8080'.length).replace(/^\[|\]$/g, '')), id).not.toBe(0);
          }
        } finally {
          await chain.close();
        }
      }),
      { numRuns: 40, timeout: 2_000 },
    );
  });
});

/** What the properties above found, kept as plain cases. */
describe('counterexamples the DNS properties found', () => {
  const zoneOf = (z: Partial<Zone>): Zone => ({
    a: {},
    aaaa: {},
    srv: { ok: [] },
    lookup: undefined,
    ...z,
  });

  it('skips a record without an IP address (was an endpoint with host undefined)', async () => {
    const z = zoneOf({
      a: { 'a.svc': { ok: [{ address: '10.0.0.1', ttl: 5 }] } },
      aaaa: { 'a.svc': { ok: [{}, { address: 'not-an-ip', ttl: 5 }] } },
    });
    const answer = await resolveHost(
      resolverFor(() => z),
      'a.svc',
      80,
      'any',
    );
    expect(answer.endpoints.map((e) => e.id)).toEqual(['10.0.0.1:80']);
  });

  it('skips a getaddrinfo answer with an empty address (was an endpoint ":80")', async () => {
    const z = zoneOf({ lookup: { ok: [{ address: '', family: 4 }] } });
    await expect(
      resolveHost(
        resolverFor(() => z),
        'a.svc',
        80,
        'any',
      ),
    ).rejects.toThrow();
  });

  it('does not take a NaN TTL for a time to resolve again (was a timer of NaN ms: a hot loop)', async () => {
    const z = zoneOf({ a: { 'a.svc': { ok: [{ address: '10.0.0.1', ttl: Number.NaN }] } } });
    expect(
      (
        await resolveHost(
          resolverFor(() => z),
          'a.svc',
          80,
          4,
        )
      ).ttlMs,
    ).toBeUndefined();
    const { clock, delays } = recordingClock();
    const discovery = dnsDiscovery({
      hostname: 'a.svc',
      port: 80,
      resolver: resolverFor(() => z),
      clock,
    });
    const stop = discovery.subscribe('svc', { onEndpoints: () => {} });
    await settle();
    expect(delays).toEqual([INTERVAL_MS]);
    stop();
    await discovery.close();
  });

  it('takes a TTL too large for ms as none (1.8e305 s was an Infinity ms TTL)', async () => {
    const z = zoneOf({ a: { 'a.svc': { ok: [{ address: '::', ttl: 1.8e305 }] } } });
    expect(
      (
        await resolveHost(
          resolverFor(() => z),
          'a.svc',
          80,
          4,
        )
      ).ttlMs,
    ).toBeUndefined();
  });

  it('drops SRV records with port 0 or above 65535, or no target (were endpoints on those ports)', async () => {
    const z = zoneOf({
      a: { 'a.svc': { ok: [{ address: '10.0.0.1', ttl: 5 }] } },
      srv: {
        ok: [
          { name: 'a.svc', port: 0, priority: 0, weight: 1 },
          { name: 'a.svc', port: 70_000, priority: 0, weight: 1 },
          { name: '', port: 80, priority: 0, weight: 1 },
          { name: 'a.svc', port: 8080, priority: 1, weight: Number.NaN },
          { name: 'a.svc', port: 9090, priority: 2, weight: 1 },
        ],
      },
    });
    const answer = await resolveService(
      resolverFor(() => z),
      '_http._tcp.svc',
      'any',
    );
    expect(answer.endpoints.map((e) => e.id)).toEqual(['10.0.0.1:9090']);
  });
});
