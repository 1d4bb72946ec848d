import { describe, expect, it } from 'vitest';
import { checkDiscoveryOptions } from './discovery-options.js';
import { checkRegistrationOptions } from './registration-options.js';

const invalid = (fn: () => unknown, pattern: RegExp) =>
  expect(fn).toThrow(
    expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(pattern) }),
  );

describe('consulDiscovery options', () => {
  it('has documented defaults', () => {
    const o = checkDiscoveryOptions({ env: {} });
    expect(o).toMatchObject({
      serviceName: undefined,
      tags: [],
      consistency: 'default',
      cached: false,
      includeWarning: false,
      zoneMetaKey: 'zone',
      waitMs: 60_000,
      minIntervalMs: 1_000,
      backoff: { baseMs: 1_000, maxMs: 30_000 },
      emptyGraceMs: 2_000,
    });
  });

  it('refuses bad values naming the option and what is valid', () => {
    invalid(
      () => checkDiscoveryOptions({ waitMs: 700_000, env: {} }),
      /consulDiscovery waitMs=700000 .*1000 to 600000/,
    );
    invalid(() => checkDiscoveryOptions({ tags: [''], env: {} }), /consulDiscovery tags/);
    invalid(
      () => checkDiscoveryOptions({ consistency: 'eventual' as 'stale', env: {} }),
      /'default', 'stale' or 'consistent'/,
    );
    invalid(
      () => checkDiscoveryOptions({ consistency: 'consistent', cached: true, env: {} }),
      /cached/,
    );
    invalid(
      () => checkDiscoveryOptions({ backoff: { baseMs: 500, maxMs: 100 }, env: {} }),
      /backoff.maxMs/,
    );
    invalid(() => checkDiscoveryOptions({ filter: '', env: {} }), /filter expression/);
  });
});

describe('registerWithConsul options', () => {
  it('defaults to a TTL check of 15 s with heartbeats every 5 s, reaped after a minute', () => {
    const o = checkRegistrationOptions({ name: 'payments', port: 8080, env: {} });
    expect(o.check).toEqual({ kind: 'ttl', ttlMs: 15_000, heartbeatMs: 5_000 });
    expect(o.deregisterCriticalAfterMs).toBe(60_000);
    expect(o.id).toMatch(/^payments-.+-8080$/);
    expect(o.signals).toEqual([]);
    expect(
      checkRegistrationOptions({ name: 'p', port: 1, signals: true, env: {} }).signals,
    ).toEqual(['SIGTERM', 'SIGINT']);
  });

  it('refuses bad values naming the option and what is valid', () => {
    invalid(
      () => checkRegistrationOptions({ name: '', port: 80, env: {} }),
      /registerWithConsul name/,
    );
    invalid(() => checkRegistrationOptions({ name: 'p', port: 70_000, env: {} }), /port=70000/);
    invalid(
      () =>
        checkRegistrationOptions({
          name: 'p',
          port: 80,
          check: { ttlMs: 5_000, http: 'http://x/' } as never,
          env: {},
        }),
      /exactly one of/,
    );
    invalid(
      () =>
        checkRegistrationOptions({
          name: 'p',
          port: 80,
          check: { http: 'x', intervalMs: 1_000 },
          env: {},
        }),
      /check.http/,
    );
    invalid(
      () =>
        checkRegistrationOptions({ name: 'p', port: 80, signals: ['SIGKILL'] as never, env: {} }),
      /signals/,
    );
  });
});
