import type { Endpoint } from '@outrigger/core';
import { compileRoutes, OutriggerError } from '@outrigger/core';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { parseHealthBody } from './health-body.js';
import { endpointsFromHealth } from './health-entries.js';
import { parseRoutesValue } from './routes-value.js';

/**
 * Fuzzed inputs: Consul's answers are bodies from an agent (or whatever answers on its
 * port). A health body either maps to endpoints a transport can dial and a balancer can weigh, or
 * is refused with a plain error that says what was wrong (which the watch reports while keeping
 * the last good set); never a TypeError from deep inside the mapping. A KV routes value is JSON
 * that either compiles or is refused.
 */

// A property runs many cases: room for a loaded CI machine.
vi.setConfig({ testTimeout: 30_000 });

const jsonJunk = fc.jsonValue({ maxDepth: 2 });
const orJunk = <T>(arb: fc.Arbitrary<T>, weight = 4) =>
  fc.oneof({ weight, arbitrary: arb as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: jsonJunk });
const text = fc.oneof(
  fc.constantFrom('', ' ', 'a b', 'node-1', '10.0.0.1', '::1', 'h.example'),
  fc.string({ maxLength: 8 }),
);
const address = fc.oneof(
  fc.ipV4(),
  fc.ipV6(),
  fc.constantFrom('', ' ', 'h.example', 'a b', '10.0.0.1 ', '\u0000'),
);
const number = fc.oneof(
  fc.integer({ min: -2, max: 70_000 }),
  fc.double(),
  fc.constantFrom(0, 1, 65_535, 65_536),
);
const status = fc.constantFrom(
  'passing',
  'warning',
  'critical',
  'maintenance',
  'bogus',
  'PASSING',
  '',
);

const entry = fc.record(
  {
    Node: orJunk(
      fc.record(
        {
          Node: orJunk(text),
          Address: orJunk(address),
          Datacenter: orJunk(text),
          TaggedAddresses: orJunk(
            fc.dictionary(fc.constantFrom('lan', 'wan', 'lan_ipv4'), orJunk(address), {
              maxKeys: 2,
            }),
          ),
        },
        { requiredKeys: ['Node', 'Address'] },
      ),
    ),
    Service: orJunk(
      fc.record(
        {
          ID: orJunk(text),
          Service: fc.constant('svc'),
          Address: orJunk(address),
          Port: orJunk(fc.integer({ min: 1, max: 65_535 }), 6),
          Tags: orJunk(fc.array(orJunk(text), { maxLength: 3 })),
          Meta: orJunk(
            fc.dictionary(fc.constantFrom('zone', 'version', 'a'), orJunk(text), { maxKeys: 3 }),
          ),
          Weights: orJunk(
            fc.record({ Passing: orJunk(number), Warning: orJunk(number) }, { requiredKeys: [] }),
          ),
          TaggedAddresses: orJunk(
            fc.dictionary(
              fc.constantFrom('lan', 'wan', 'lan_ipv4'),
              orJunk(
                fc.record(
                  {
                    Address: orJunk(address),
                    Port: orJunk(number),
                    address: orJunk(address),
                    port: orJunk(number),
                  },
                  { requiredKeys: [] },
                ),
              ),
              { maxKeys: 2 },
            ),
          ),
        },
        { requiredKeys: ['ID', 'Port'] },
      ),
      8,
    ),
    Checks: orJunk(fc.array(orJunk(fc.record({ Status: orJunk(status) })), { maxLength: 3 })),
  },
  { requiredKeys: ['Node', 'Service'] },
);

const body = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.array(orJunk(entry, 8), { maxLength: 5 }).map((list) => JSON.stringify(list)),
  },
  { weight: 1, arbitrary: jsonJunk.map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.array(entry, { minLength: 1, maxLength: 2 }), fc.nat())
      .map(([list, cut]) => {
        const full = JSON.stringify(list);
        return full.slice(0, cut % full.length);
      }),
  },
);

const mapping = fc.record({
  includeWarning: fc.boolean(),
  taggedAddress: fc.constantFrom(undefined, 'lan', 'wan', 'lan_ipv4'),
  zoneMetaKey: fc.constantFrom('zone', 'version'),
});

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const HOST_JUNK = /[\s\u0000-\u001f\u007f]/;

/** What a transport dials and a balancer weighs. */
function expectUsable(endpoints: readonly Endpoint[]): void {
  const ids = new Set<string>();
  for (const e of endpoints) {
    expect(
      typeof e.host === 'string' && e.host.length > 0 && !HOST_JUNK.test(e.host),
      `host ${JSON.stringify(e.host)}`,
    ).toBe(true);
    expect(
      Number.isInteger(e.port) && e.port >= 1 && e.port <= 65_535,
      `port ${String(e.port)}`,
    ).toBe(true);
    expect(
      typeof e.weight === 'number' && Number.isFinite(e.weight) && e.weight > 0,
      `weight ${String(e.weight)}`,
    ).toBe(true);
    expect(
      e.zone === undefined || (typeof e.zone === 'string' && e.zone.length > 0),
      `zone ${String(e.zone)}`,
    ).toBe(true);
    for (const [key, value] of Object.entries(e.metadata))
      expect(typeof value, `metadata ${key}`).toBe('string');
    expect(ids.has(e.id), `id ${e.id} twice`).toBe(false);
    ids.add(e.id);
  }
}

describe('Consul health answers', () => {
  it('map to usable endpoints, or are refused with a plain error saying why', () => {
    fc.assert(
      fc.property(body, mapping, (text, options) => {
        let entries: ReturnType<typeof parseHealthBody>;
        try {
          entries = parseHealthBody(text);
        } catch (error) {
          // The watch wraps this in a ConsulError ('malformed'); a TypeError would mean it escaped.
          expect(error).toBeInstanceOf(Error);
          expect((error as Error).constructor).toBe(Error);
          expect((error as Error).message).toMatch(/body|entry/);
          return;
        }
        expectUsable(endpointsFromHealth(entries, options));
      }),
      { numRuns: 250 },
    );
  });
});

describe('Consul KV routes values', () => {
  const route = fc.record(
    {
      name: orJunk(text),
      match: orJunk(
        fc.record(
          {
            method: orJunk(fc.constantFrom('GET', 'POST')),
            path: orJunk(fc.record({ prefix: orJunk(fc.constantFrom('/', '/api', 'api')) })),
            headers: orJunk(
              fc.dictionary(
                fc.constantFrom('x-version', 'x'),
                orJunk(fc.record({ regex: orJunk(fc.constantFrom('^v2$', '(', '[a-', 'v.*')) })),
                { maxKeys: 2 },
              ),
            ),
          },
          { requiredKeys: [] },
        ),
      ),
      split: orJunk(
        fc.array(
          fc.record({
            subset: orJunk(fc.dictionary(fc.constantFrom('version'), orJunk(text), { maxKeys: 1 })),
            weight: orJunk(number),
          }),
          { maxLength: 2 },
        ),
      ),
    },
    { requiredKeys: [] },
  );
  const value = fc.oneof(
    fc.array(orJunk(route), { maxLength: 3 }).map((routes) => JSON.stringify(routes)),
    fc.array(route, { maxLength: 2 }).map((routes) => JSON.stringify({ routes })),
    jsonJunk.map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 20 }),
  );

  it('compile, or are refused: a plain error for the value, CONFIG_INVALID for a table the schema refuses', () => {
    fc.assert(
      fc.property(value, (raw) => {
        let routes: ReturnType<typeof parseRoutesValue>;
        try {
          routes = parseRoutesValue(raw);
        } catch (error) {
          expect((error as Error).constructor).toBe(Error);
          expect((error as Error).message).toMatch(/value|header/);
          return;
        }
        try {
          compileRoutes(routes);
        } catch (error) {
          expect(error).toBeInstanceOf(OutriggerError);
          expect((error as OutriggerError).code).toBe('CONFIG_INVALID');
          expect((error as OutriggerError).message).toMatch(/routes/);
        }
      }),
      { numRuns: 250 },
    );
  });
});
