import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { maglev } from './balancer/maglev.js';
import { p2cEwma, p2cLeastRequest } from './balancer/p2c.js';
import { ringHash } from './balancer/ring-hash.js';
import { roundRobin } from './balancer/round-robin.js';
import { breaker } from './breaker/policy.js';
import { RetryBudget } from './budget/retry-budget.js';
import { bulkhead } from './bulkhead/policy.js';
import { SETTINGS } from './config/settings.js';
import { dnsDiscovery } from './discovery/dns-discovery.js';
import { staticDiscovery } from './discovery/static-discovery.js';
import { OutriggerError } from './errors/errors.js';
import { fallback } from './fallback/policy.js';
import { fault } from './fault/policy.js';
import { hedge } from './hedge/policy.js';
import { rateLimit } from './rate-limit/policy.js';
import { retry } from './retry/policy.js';
import { timeout } from './timeout/policy.js';

/**
 * Fuzzed inputs: the option objects of the policy factories and built-in sources, which
 * code calls directly (`retry({ maxAttempts })`, `dnsDiscovery({ port })`). Any object, with the
 * factory's own keys holding anything, typos beside them and wrong shared extras, either builds or
 * is refused with CONFIG_INVALID naming the factory's option; never a TypeError from inside.
 */

// A property runs many cases: room for a loaded CI machine.
vi.setConfig({ testTimeout: 30_000 });

const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    -1,
    0,
    0.5,
    1,
    3,
    100,
    2 ** 53 + 2,
    '',
    ' ',
    '5',
    'full',
    'none',
    true,
    false,
    null,
    [],
    ['TIMEOUT'],
    {},
    Object.create(null) as unknown,
    { toString: 'x' },
    10n,
    Symbol('junk'),
    () => 1,
  ),
  fc.double(),
  fc.integer({ min: -5, max: 100_000 }),
  fc.string({ maxLength: 6 }),
  fc.anything({ maxDepth: 1, withNullPrototype: true, withBigInt: true }),
);

/** The keys a factory's options take: its settings' last path parts, the shared extras, a typo. */
function keysOf(section: string): string[] {
  const own = SETTINGS.filter((s) => s.path[0] === section && s.path.length > 1).map(
    (s) => s.path[1]!,
  );
  return [...new Set(own), 'service', 'clock', 'events', 'classifier', `${own[0] ?? 'x'}s`];
}

/**
 * `names`: what a refusal may name besides the factory and the keys given (staticDiscovery's
 * argument is the `discovery` list). Each gets an object: the factories are typed for code, so a
 * null or a number in place of the object is a compile error; what is fuzzed is what they hold.
 */
const FACTORIES: Record<
  string,
  { keys: string[]; make: (options: never) => unknown; names?: string[] }
> = {
  timeout: { keys: keysOf('timeout'), make: timeout },
  retry: { keys: keysOf('retry'), make: retry },
  hedge: { keys: keysOf('hedge'), make: hedge },
  breaker: { keys: keysOf('breaker'), make: breaker },
  bulkhead: { keys: keysOf('bulkhead'), make: bulkhead },
  rateLimit: { keys: keysOf('rateLimit'), make: rateLimit },
  fault: { keys: keysOf('fault'), make: fault },
  fallback: { keys: ['codes', 'value', 'service', 'clock'], make: fallback },
  RetryBudget: {
    keys: ['ratio', 'minPerSecond', 'ttlMs', 'clock'],
    make: (o) => new RetryBudget(o),
  },
  dnsDiscovery: {
    keys: ['hostname', 'port', 'srv', 'intervalMs', 'minIntervalMs', 'family', 'resolver', 'clock'],
    make: (o) => dnsDiscovery(o),
  },
  staticDiscovery: { keys: ['env'], make: (o) => staticDiscovery(o), names: ['discovery'] },
  p2cEwma: {
    keys: ['random', 'decayMs', 'defaultRttMs', 'failurePenalty'],
    make: p2cEwma,
  },
  p2cLeastRequest: { keys: ['random'], make: p2cLeastRequest },
  roundRobin: { keys: ['random'], make: roundRobin },
  ringHash: { keys: ['random', 'tableBits', 'replicas'], make: ringHash },
  maglev: { keys: ['random', 'tableSize'], make: maglev },
};

describe('policy factories and built-in sources', () => {
  const cases = fc
    .constantFrom(...Object.keys(FACTORIES))
    .chain((name) =>
      fc.tuple(
        fc.constant(name),
        fc.dictionary(fc.constantFrom(...FACTORIES[name]!.keys), junk, { maxKeys: 3 }),
      ),
    );

  it('build, or refuse with CONFIG_INVALID naming the factory or one of its options', () => {
    fc.assert(
      fc.property(cases, ([name, options]) => {
        let made: unknown;
        try {
          made = FACTORIES[name]!.make(options as never);
        } catch (error) {
          if (!(error instanceof OutriggerError)) throw error;
          expect(error.code).toBe('CONFIG_INVALID');
          const keys = Object.keys(options);
          const names = [name, ...(FACTORIES[name]!.names ?? []), ...keys];
          const named = names.some((k) => error.message.includes(k));
          expect(named, error.message).toBe(true);
          return;
        }
        expect(made).toBeDefined();
        void (made as { close?: () => Promise<void> }).close?.();
      }),
      { numRuns: 800 },
    );
  });
});

describe('counterexamples the factory property found', () => {
  it.each([
    ['retry', () => retry({ clock: 1 } as never), 'clock'],
    ['retry', () => retry({ random: 'x' } as never), 'random'],
    ['retry', () => retry(null as never), 'retry'],
    ['RetryBudget', () => new RetryBudget({ clock: '' } as never), 'clock'],
    ['timeout', () => timeout({ totalMs: [0n], perTryMs: [] } as never), 'timeout'],
    ['fallback', () => fallback({ codes: [0n], value: 1 } as never), 'codes'],
    ['p2cEwma', () => p2cEwma({ decayMs: Number.NaN }), 'decayMs'],
    ['roundRobin', () => roundRobin({ random: 5 } as never), 'random'],
  ])('%s refuses what was a TypeError (now or at the first call): %s', (_name, make, named) => {
    expect(make).toThrow(OutriggerError);
    expect(make).toThrow(named);
  });
});
