import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { buildChain } from '../chain/build.js';
import type { RequestInfo } from '../context/request-info.js';
import { OutriggerError } from '../errors/errors.js';
import { compileRoutes } from './compile.js';
import type { Route } from './route.js';
import { parseSelector } from './selector.js';

/**
 * Fuzzed inputs: route tables arrive from code, from JSON in a Consul KV key, or from
 * `setRoutes()` at run time. Any structure compiles into routes whose splits can be chosen from
 * and whose matchers answer true or false for any request, or is refused with CONFIG_INVALID
 * naming where in `routes` it went wrong; a refused table at run time leaves the one in force.
 */

// A property runs many cases: room for a loaded CI machine.
vi.setConfig({ testTimeout: 30_000 });

const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    -1,
    0,
    1,
    '',
    ' ',
    '/',
    'GET',
    true,
    false,
    null,
    undefined,
    [],
    {},
    /x/g,
    10n,
    () => 1,
  ),
  fc.double(),
  fc.string({ maxLength: 8 }),
  fc.anything({ maxDepth: 2, withBigInt: true, withDate: true, withMap: true }),
);

const maybe = <T>(arb: fc.Arbitrary<T>) =>
  fc.option(fc.oneof({ weight: 4, arbitrary: arb }, { weight: 1, arbitrary: junk }), {
    nil: undefined,
  });

const pathText = fc.oneof(
  fc.constantFrom('/', '/api', '/api/', '//', '/api//v1', '/a.b/C'),
  fc.string({ maxLength: 10 }),
);
const headerMatch = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.record({ exact: fc.string({ maxLength: 6 }) }),
  fc.record({ prefix: fc.string({ maxLength: 6 }) }),
  fc.record({ regex: fc.constantFrom(/^v2$/, /v/gi, /a|b/y) }),
  fc.record({ present: fc.boolean() }),
  fc.record({ exact: junk, prefix: junk }, { requiredKeys: [] }),
);
const match = fc.record(
  {
    method: maybe(
      fc.oneof(
        fc.constantFrom('GET', 'get', 'POST', 'G T', ''),
        fc.array(fc.constantFrom('PUT', 'DELETE', 'x1'), { maxLength: 3 }),
      ),
    ),
    path: maybe(
      fc.oneof(
        fc.record({ exact: pathText }),
        fc.record({ prefix: pathText }),
        fc.record({ exact: pathText, prefix: pathText }),
      ),
    ),
    headers: maybe(
      fc.dictionary(fc.constantFrom('x-version', 'X-Canary', 'accept', ''), headerMatch, {
        maxKeys: 3,
      }),
    ),
  },
  { requiredKeys: [] },
);
const labels = fc.dictionary(
  fc.constantFrom('version', 'zone', 'a,b', 'k=v', ''),
  fc.oneof(fc.constantFrom('v1', 'v2', '', 'x=y', 'a,b'), junk),
  { maxKeys: 2 },
);
const split = fc.array(
  fc.record(
    { subset: fc.oneof(labels, junk), weight: fc.oneof(fc.nat({ max: 100 }), fc.double(), junk) },
    { requiredKeys: [] },
  ),
  { maxLength: 3 },
);
const fault = fc.oneof(
  fc.constant(false),
  fc.record(
    {
      delay: maybe(
        fc.record(
          {
            percent: fc.oneof(fc.double(), fc.nat({ max: 100 })),
            ms: fc.oneof(fc.nat(), fc.double()),
          },
          { requiredKeys: [] },
        ),
      ),
      abort: maybe(
        fc.record(
          { percent: fc.nat({ max: 100 }), status: fc.integer({ min: 0, max: 700 }) },
          { requiredKeys: [] },
        ),
      ),
    },
    { requiredKeys: [] },
  ),
);
const route = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record(
      {
        name: maybe(fc.constantFrom('canary', 'stable', '')),
        match: maybe(match),
        split: maybe(split),
        fault: maybe(fault),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: junk },
);
const routes = fc.oneof(
  { weight: 6, arbitrary: fc.array(route, { maxLength: 3 }) },
  { weight: 1, arbitrary: junk },
);

const request = fc.record({
  method: fc.constantFrom('GET', 'get', 'POST', 'PUT', ''),
  path: pathText,
  headers: fc.dictionary(
    fc.constantFrom('x-version', 'x-canary', 'accept'),
    fc.string({ maxLength: 6 }),
    { maxKeys: 3 },
  ),
});
const infoOf = (r: {
  method: string;
  path: string;
  headers: Record<string, string>;
}): RequestInfo => ({
  method: r.method,
  path: r.path,
  header: (name) => r.headers[name],
});

function compileOrRefuse(table: unknown): ReturnType<typeof compileRoutes> | OutriggerError {
  try {
    return compileRoutes(table);
  } catch (error) {
    if (!(error instanceof OutriggerError) || error.code !== 'CONFIG_INVALID') throw error;
    return error;
  }
}

describe('route definitions', () => {
  it('compile into usable routes, or are refused naming where in routes it went wrong', () => {
    fc.assert(
      fc.property(routes, fc.array(request, { maxLength: 3 }), (table, requests) => {
        const compiled = compileOrRefuse(table);
        if (compiled instanceof OutriggerError) {
          expect(compiled.message).toMatch(/routes/);
          return;
        }
        const names = new Set(compiled.map((r) => r.name));
        expect(names.size).toBe(compiled.length);
        for (const r of compiled) {
          expect(r.split.length).toBeGreaterThan(0);
          expect(r.split.some((s) => s.weight > 0)).toBe(true);
          for (const s of r.split) expect(Number.isFinite(s.weight) && s.weight >= 0).toBe(true);
          for (const req of requests) expect(typeof r.matches(infoOf(req))).toBe('boolean');
          // The snapshot's copy is plain data.
          expect(() => JSON.stringify(r.data)).not.toThrow();
        }
      }),
      { numRuns: 400 },
    );
  });

  it('setRoutes() at run time takes a table or refuses it, leaving the routes in force', async () => {
    const chain = buildChain({
      options: { service: 'fuzz-routes', discovery: ['127.0.0.1:1'], env: {} },
      transport: async () => 'ok',
    });
    const inForce = () => {
      const balancer = chain.snapshot().balancer;
      if (balancer === false) throw new Error('the chain has no balancer');
      return balancer.routes;
    };
    try {
      chain.setRoutes([{ name: 'first', split: [{ subset: { version: 'v1' }, weight: 1 }] }]);
      expect(inForce()).toHaveLength(1);
      fc.assert(
        fc.property(routes, (table) => {
          const before = inForce();
          try {
            chain.setRoutes(table as readonly Route[]);
          } catch (error) {
            if (!(error instanceof OutriggerError) || error.code !== 'CONFIG_INVALID') throw error;
            expect(inForce()).toEqual(before);
            return;
          }
          expect(inForce()).toEqual(compileRoutes(table).map((r) => r.data));
        }),
        { numRuns: 200 },
      );
    } finally {
      await chain.close();
    }
  });
});

describe('the subset override header', () => {
  it('reads as label pairs with non-empty keys and no separators in them, or as nothing', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc
        .array(fc.constantFrom('version', '=', 'v2', ',', ' ', 'zone', 'eu', '==', ''), {
          maxLength: 8,
        })
        .map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(text, (header) => {
        const selector = parseSelector(header);
        if (selector === undefined) return;
        expect(selector.pairs.length).toBeGreaterThan(0);
        for (const [key, value] of selector.pairs) {
          expect(key.length).toBeGreaterThan(0);
          expect(key + value).not.toMatch(/[,=]/);
        }
      }),
      { numRuns: 300 },
    );
  });
});

/** What the properties above found, kept as plain cases. */
describe('counterexamples the route properties found', () => {
  it('refuses match.path null, as JSON from a KV key can hold it (was a TypeError from Object.keys)', () => {
    expect(() => compileRoutes([{ match: { path: null } }])).toThrow(/routes\[0\]\.match\.path/);
  });

  it('compiles match.headers null as no header conditions (was a TypeError making the snapshot copy)', () => {
    const [route] = compileRoutes([{ match: { headers: null } }]);
    expect(route!.data.match).toEqual({});
  });

  it('refuses a condition JSON cannot show, naming it (was a TypeError from JSON.stringify)', () => {
    const routes = [{ match: { headers: { 'x-version': { exact: { n: 0n } } } } }];
    expect(() => compileRoutes(routes)).toThrow(/routes\[0\]\.match\.headers\.x-version/);
    expect(() => compileRoutes([{ match: { method: [1n] } }])).toThrow(
      /routes\[0\]\.match\.method/,
    );
  });
});
