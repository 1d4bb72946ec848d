import { describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../errors/errors.js';
import type { Clock } from '../time/clock.js';
import { ManualClock, settle } from '../time/manual-clock.js';
import { dnsDiscovery } from './dns-discovery.js';
import type { Endpoint } from './endpoint.js';
import { dnsError, FakeResolver } from './test-support/fake-resolver.js';

function watch(discovery: ReturnType<typeof dnsDiscovery>, service = 'payments.internal') {
  const sets: string[][] = [];
  const errors: unknown[] = [];
  let last: readonly Endpoint[] = [];
  const stop = discovery.subscribe(service, {
    onEndpoints: (e) => {
      last = e;
      sets.push(e.map((x) => x.id));
    },
    onError: (error) => errors.push(error),
  });
  return { sets, errors, stop, last: () => last };
}

describe('dnsDiscovery', () => {
  it('resolves A and AAAA into endpoints on the port, in a stable order', async () => {
    const resolver = new FakeResolver();
    resolver.a['payments.internal'] = [
      { address: '10.0.0.2', ttl: 30 },
      { address: '10.0.0.1', ttl: 30 },
    ];
    resolver.aaaa['payments.internal'] = [{ address: 'fd00::1', ttl: 30 }];
    const w = watch(dnsDiscovery({ port: 8080, resolver, clock: new ManualClock() }));
    await settle();
    expect(w.sets).toEqual([['10.0.0.1:8080', '10.0.0.2:8080', '[fd00::1]:8080']]);
    expect(w.last()[2]).toMatchObject({ host: 'fd00::1', port: 8080, weight: 1 });
  });

  it('re-resolves when the shortest TTL runs out, within [minIntervalMs, intervalMs], and skips unchanged answers', async () => {
    const clock = new ManualClock();
    const resolver = new FakeResolver();
    resolver.a.svc = [
      { address: '10.0.0.1', ttl: 5 },
      { address: '10.0.0.2', ttl: 60 },
    ];
    const w = watch(
      dnsDiscovery({ hostname: 'svc', port: 80, family: 4, resolver, clock, intervalMs: 20_000 }),
    );
    await settle();
    expect(resolver.queries).toEqual(['A svc']);
    await clock.advanceAsync(4_999);
    expect(resolver.queries).toHaveLength(1);
    await clock.advanceAsync(1);
    expect(resolver.queries).toHaveLength(2);
    expect(w.sets).toHaveLength(1);
    resolver.a.svc = [{ address: '10.0.0.3', ttl: 3_600 }];
    await clock.advanceAsync(5_000);
    expect(w.sets).toEqual([['10.0.0.1:80', '10.0.0.2:80'], ['10.0.0.3:80']]);
    // A TTL of an hour is trusted for intervalMs at most.
    await clock.advanceAsync(20_000);
    expect(resolver.queries).toHaveLength(4);
    resolver.a.svc = [{ address: '10.0.0.3', ttl: 0 }];
    await clock.advanceAsync(20_000);
    await clock.advanceAsync(1_000);
    expect(resolver.queries).toHaveLength(6);
  });

  it('keeps the last good set when DNS fails, reports it, and retries sooner with backoff', async () => {
    const clock = new ManualClock();
    const resolver = new FakeResolver();
    resolver.a.svc = [{ address: '10.0.0.1', ttl: 10 }];
    const w = watch(
      dnsDiscovery({ hostname: 'svc', port: 80, family: 4, resolver, clock, minIntervalMs: 500 }),
      'svc',
    );
    await settle();
    resolver.a.svc = dnsError('ESERVFAIL');
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      const before = resolver.queries.length;
      while (resolver.queries.length === before) await clock.advanceAsync(100);
      times.push(clock.now());
    }
    expect(times).toEqual([10_000, 10_500, 11_500, 13_500]);
    expect(w.sets).toEqual([['10.0.0.1:80']]);
    expect(w.errors).toHaveLength(4);
    expect(String(w.errors[0])).toMatch(
      /DNS discovery of "svc" \(A svc\) failed: query failed: ESERVFAIL; keeping the last good set/,
    );
    expect((w.errors[0] as Error).cause).toMatchObject({ code: 'ESERVFAIL' });
    resolver.a.svc = [{ address: '10.0.0.9', ttl: 10 }];
    await clock.advanceAsync(4_000);
    expect(w.sets.at(-1)).toEqual(['10.0.0.9:80']);
  });

  it('treats an empty answer as a failure, never as an empty pool', async () => {
    const clock = new ManualClock();
    const resolver = new FakeResolver();
    resolver.a.svc = [{ address: '10.0.0.1', ttl: 1 }];
    const w = watch(dnsDiscovery({ hostname: 'svc', port: 80, family: 4, resolver, clock }), 'svc');
    await settle();
    resolver.a.svc = [];
    await clock.advanceAsync(1_000);
    expect(w.sets).toEqual([['10.0.0.1:80']]);
    expect(w.errors).toHaveLength(1);
  });

  it('falls back to the hosts file when A and AAAA find nothing, re-reading it every intervalMs', async () => {
    const clock = new ManualClock();
    const resolver = new FakeResolver();
    resolver.hosts.localhost = ['127.0.0.1', '::1'];
    const w = watch(
      dnsDiscovery({ hostname: 'localhost', port: 3000, resolver, clock, intervalMs: 5_000 }),
      'x',
    );
    await settle();
    expect(w.sets).toEqual([['127.0.0.1:3000', '[::1]:3000']]);
    await clock.advanceAsync(5_000);
    expect(resolver.queries.filter((q) => q.startsWith('lookup'))).toHaveLength(2);
  });

  it('resolves SRV: the lowest priority only, weights as endpoint weights, targets to addresses', async () => {
    const resolver = new FakeResolver();
    resolver.srv['_http._tcp.payments'] = [
      { name: 'a.payments', port: 8080, priority: 10, weight: 60 },
      { name: 'b.payments', port: 8081, priority: 10, weight: 0 },
      { name: 'standby.payments', port: 8080, priority: 20, weight: 100 },
    ];
    resolver.a['a.payments'] = [{ address: '10.0.0.1', ttl: 30 }];
    resolver.a['b.payments'] = [{ address: '10.0.0.2', ttl: 30 }];
    resolver.a['standby.payments'] = [{ address: '10.0.0.3', ttl: 30 }];
    const w = watch(
      dnsDiscovery({
        hostname: '_http._tcp.payments',
        srv: true,
        family: 4,
        resolver,
        clock: new ManualClock(),
      }),
    );
    await settle();
    expect(w.last().map((e) => [e.id, e.weight])).toEqual([
      ['10.0.0.1:8080', 60],
      ['10.0.0.2:8081', 0.6],
    ]);
  });

  it('resolves the service name when no hostname is given', async () => {
    const resolver = new FakeResolver();
    resolver.a.ledger = [{ address: '10.1.0.1', ttl: 30 }];
    const w = watch(
      dnsDiscovery({ port: 80, family: 4, resolver, clock: new ManualClock() }),
      'ledger',
    );
    await settle();
    expect(w.sets).toEqual([['10.1.0.1:80']]);
  });

  it('runs one loop per service, stops it with the last subscriber, and on close clears timers and cancels queries', async () => {
    const clock = new ManualClock();
    const unrefs: unknown[] = [];
    const tracking: Clock = {
      now: () => clock.now(),
      setTimeout: (cb, ms) =>
        Object.assign(clock.setTimeout(cb, ms), { unref: () => unrefs.push(ms) }),
      clearTimeout: (h) => clock.clearTimeout(h),
    };
    const resolver = new FakeResolver();
    resolver.a.a = [{ address: '10.0.0.1', ttl: 30 }];
    resolver.a.b = [{ address: '10.0.0.2', ttl: 30 }];
    const discovery = dnsDiscovery({ port: 80, family: 4, resolver, clock: tracking });
    const first = watch(discovery, 'a');
    const second = watch(discovery, 'a');
    watch(discovery, 'b');
    await settle();
    expect(resolver.queries).toEqual(['A a', 'A b']);
    expect(second.sets).toEqual([['10.0.0.1:80']]);
    expect(clock.pendingTimers).toBe(2);
    expect(unrefs).toEqual([30_000, 30_000]);
    first.stop();
    expect(clock.pendingTimers).toBe(2);
    second.stop();
    expect(clock.pendingTimers).toBe(1);
    await discovery.close();
    expect(clock.pendingTimers).toBe(0);
    expect(resolver.cancelled).toBe(1);
  });

  const cases: [string, Record<string, unknown>, RegExp][] = [
    [
      'no port for A records',
      {},
      /dnsDiscovery port=undefined is not valid: expected an integer from 1 to 65535/,
    ],
    ['a bad interval', { port: 80, intervalMs: 0 }, /dnsDiscovery intervalMs=0/],
    [
      'a min interval above the interval',
      { port: 80, intervalMs: 1_000, minIntervalMs: 2_000 },
      /minIntervalMs=2000 .*from 1 to intervalMs \(1000\)/,
    ],
    ['a bad family', { port: 80, family: 5 }, /dnsDiscovery family=5/],
    ['a bad hostname', { port: 80, hostname: 'a b' }, /dnsDiscovery hostname="a b"/],
    [
      'a resolver without resolveSrv',
      { srv: true, resolver: { resolve4() {}, resolve6() {} } },
      /dnsDiscovery resolver\.resolveSrv/,
    ],
  ];
  for (const [name, options, message] of cases) {
    it(`rejects ${name} with CONFIG_INVALID`, () => {
      expect(() => dnsDiscovery(options as never)).toThrow(ConfigInvalidError);
      expect(() => dnsDiscovery(options as never)).toThrow(message);
    });
  }
});
