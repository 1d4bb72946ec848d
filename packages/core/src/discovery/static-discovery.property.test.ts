import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { OutriggerError } from '../errors/errors.js';
import type { Endpoint } from './endpoint.js';
import { checkEndpoints, type EndpointSpec } from './endpoint-list.js';
import { staticDiscovery } from './static-discovery.js';

/**
 * Fuzzed inputs: endpoint lists, from code, from `OUTRIGGER_<SERVICE>_ENDPOINTS`, and
 * from `update()` at run time. Any list gives endpoints a transport can use, or is refused with
 * CONFIG_INVALID naming the entry or the variable; a refused update leaves the set in force.
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
    65_536,
    '',
    ' ',
    null,
    undefined,
    true,
    [],
    {},
    10n,
  ),
  fc.double(),
  fc.string({ maxLength: 8 }),
  fc.anything({ maxDepth: 1 }),
);
const host = fc.oneof(
  fc.ipV4(),
  fc.ipV6(),
  fc.domain(),
  fc.constantFrom('', ' ', 'a b', 'h:1', '[::1]', '-', 'x/y', '10.0.0.1\u0000'),
);
const port = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 65_535 }) },
  { weight: 1, arbitrary: junk },
);
const hostPort = fc.oneof(
  fc
    .tuple(host, fc.integer({ min: 0, max: 70_000 }))
    .map(([h, p]) => (h.includes(':') ? `[${h}]:${p}` : `${h}:${p}`)),
  fc.string({ unit: 'binary', maxLength: 16 }),
  fc.constantFrom(
    '10.0.0.1:80',
    ' 10.0.0.1:80 ',
    '10.0.0.1',
    ':80',
    '[::1]:80',
    '::1:80',
    '10.0.0.1:080',
    'h:99999',
  ),
);
const init = fc.record(
  {
    host: fc.oneof({ weight: 3, arbitrary: host }, { weight: 1, arbitrary: junk }),
    port,
    weight: fc.oneof(fc.double(), junk),
    id: fc.oneof(fc.string({ maxLength: 6 }), junk),
    zone: fc.oneof(fc.string({ maxLength: 6 }), junk),
    metadata: fc.oneof(
      fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.string({ maxLength: 4 }), junk), {
        maxKeys: 2,
      }),
      junk,
    ),
  },
  { requiredKeys: [] },
);
const list = fc.oneof(
  { weight: 6, arbitrary: fc.array(fc.oneof(hostPort, init, junk), { maxLength: 4 }) },
  { weight: 1, arbitrary: junk },
);

/** What a transport and a balancer need of every endpoint. */
function expectUsable(endpoints: readonly Endpoint[]): void {
  expect(endpoints.length).toBeGreaterThan(0);
  const ids = new Set<string>();
  for (const e of endpoints) {
    expect(typeof e.host === 'string' && e.host.length > 0).toBe(true);
    expect(Number.isInteger(e.port) && e.port >= 1 && e.port <= 65_535).toBe(true);
    expect(Number.isFinite(e.weight) && e.weight > 0).toBe(true);
    expect(typeof e.id === 'string' && e.id.length > 0).toBe(true);
    for (const value of Object.values(e.metadata)) expect(typeof value).toBe('string');
    expect(ids.has(e.id)).toBe(false);
    ids.add(e.id);
  }
}

function refusedNaming(fn: () => unknown, name: string | RegExp): boolean {
  try {
    fn();
    return false;
  } catch (error) {
    if (!(error instanceof OutriggerError) || error.code !== 'CONFIG_INVALID') throw error;
    expect(error.message).toMatch(name);
    return true;
  }
}

describe('endpoint lists', () => {
  it('in code: usable endpoints, or CONFIG_INVALID naming the entry', () => {
    fc.assert(
      fc.property(list, (given) => {
        let endpoints: Endpoint[] | undefined;
        if (refusedNaming(() => (endpoints = checkEndpoints(given, 'discovery')), /discovery/))
          return;
        expectUsable(endpoints!);
      }),
      { numRuns: 500 },
    );
  });

  it('in the environment: usable endpoints at subscription, or CONFIG_INVALID naming the variable', () => {
    const value = fc.oneof(
      fc.array(hostPort, { maxLength: 4 }).map((items) => items.join(',')),
      fc.string({ unit: 'binary', maxLength: 20 }),
      junk,
    );
    fc.assert(
      fc.property(
        fc.constantFrom('OUTRIGGER_SVC_ENDPOINTS', 'OUTRIGGER_DEFAULT_ENDPOINTS'),
        value,
        (variable, raw) => {
          const discovery = staticDiscovery({ env: { [variable]: raw as string } });
          let endpoints: readonly Endpoint[] | undefined;
          const subscribe = () =>
            discovery.subscribe('svc', { onEndpoints: (e) => (endpoints = e) });
          if (refusedNaming(subscribe, raw === undefined ? 'OUTRIGGER_SVC_ENDPOINTS' : variable))
            return;
          expectUsable(endpoints!);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('at run time: update() publishes usable endpoints, or refuses and the set in force stays', () => {
    fc.assert(
      fc.property(fc.array(list, { minLength: 1, maxLength: 3 }), (updates) => {
        const discovery = staticDiscovery(['10.0.0.1:80']);
        let current: readonly Endpoint[] = [];
        discovery.subscribe('svc', { onEndpoints: (e) => (current = e) });
        for (const next of updates) {
          const before = current;
          if (refusedNaming(() => discovery.update(next as readonly EndpointSpec[]), /discovery/)) {
            expect(current).toBe(before);
            continue;
          }
          expectUsable(current);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('counterexamples the endpoint-list properties found', () => {
  it('refuses an ENDPOINTS value that is not text, naming the variable (was a TypeError from split)', () => {
    const discovery = staticDiscovery({
      env: { OUTRIGGER_SVC_ENDPOINTS: Number.NaN as unknown as string },
    });
    expect(() => discovery.subscribe('svc', { onEndpoints: () => {} })).toThrow(
      /OUTRIGGER_SVC_ENDPOINTS/,
    );
  });
});
