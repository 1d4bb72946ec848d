import { isIP } from 'node:net';
import type { Endpoint } from '@outrigger/core';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  type EndpointSliceLike,
  readSlice,
  SERVICE_NAME_LABEL,
  SliceError,
} from './endpoint-slice.js';
import { SliceSet } from './slice-set.js';

/**
 * Fuzzed inputs: EndpointSlices as a watch delivers them, which nothing here can trust.
 * A slice is read into entries a transport can dial (an address of the slice's family, one port,
 * conditions as booleans), or refused with a SliceError naming it; never a TypeError. Merged,
 * one unreadable slice never empties the set: the last good entries of every slice stay.
 */

// A property runs many cases: room for a loaded CI machine.
vi.setConfig({ testTimeout: 30_000 });

const SERVICE = 'svc';
const jsonJunk = fc.jsonValue({ maxDepth: 2 });
const orJunk = <T>(arb: fc.Arbitrary<T>, weight = 5) =>
  fc.oneof({ weight, arbitrary: arb as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: jsonJunk });
const bool = fc.constantFrom<unknown>(true, false, null, undefined, 'false', 'true', 0, 1);

const endpointArb = fc.record(
  {
    addresses: orJunk(
      fc.array(
        orJunk(
          fc.oneof(
            fc.ipV4(),
            fc.ipV6(),
            fc.constantFrom('', 'pod-1', '10.0.0.1 ', '::ffff:10.0.0.1'),
          ),
        ),
        { maxLength: 2 },
      ),
    ),
    conditions: orJunk(
      fc.record({ ready: bool, serving: bool, terminating: bool }, { requiredKeys: [] }),
    ),
    zone: orJunk(fc.constantFrom('eu-1a', '', 'us-2b')),
    nodeName: orJunk(fc.constantFrom('node-1', '')),
    hints: orJunk(
      fc.record({
        forZones: orJunk(
          fc.array(orJunk(fc.record({ name: orJunk(fc.constantFrom('eu-1a', '')) })), {
            maxLength: 2,
          }),
        ),
      }),
    ),
    targetRef: orJunk(
      fc.record({ kind: fc.constant('Pod'), name: orJunk(fc.constantFrom('web-1', '')) }),
    ),
  },
  { requiredKeys: [] },
);
const sliceArb = (name: fc.Arbitrary<unknown>) =>
  fc.record(
    {
      metadata: orJunk(
        fc.record(
          {
            name,
            namespace: orJunk(fc.constant('default')),
            labels: orJunk(
              fc.dictionary(
                fc.constantFrom(SERVICE_NAME_LABEL, 'app'),
                orJunk(fc.constantFrom(SERVICE, 'other')),
                { maxKeys: 2 },
              ),
            ),
          },
          { requiredKeys: ['name'] },
        ),
        12,
      ),
      addressType: orJunk(fc.constantFrom('IPv4', 'IPv6', 'FQDN')),
      endpoints: orJunk(fc.array(orJunk(endpointArb, 8), { maxLength: 3 })),
      ports: orJunk(
        fc.array(
          orJunk(
            fc.record(
              {
                name: orJunk(fc.constantFrom('http', '', 'grpc')),
                port: orJunk(fc.integer({ min: -1, max: 70_000 })),
              },
              { requiredKeys: [] },
            ),
          ),
          { maxLength: 2 },
        ),
      ),
    },
    { requiredKeys: ['metadata'] },
  );
const slice = fc.oneof(
  { weight: 12, arbitrary: sliceArb(orJunk(fc.constantFrom('s1', 's2', 's3'))) },
  { weight: 1, arbitrary: jsonJunk },
);
const port = fc.constantFrom<string | number | undefined>(undefined, 'http', 8080, '');

const good = (name: string, ip: string): EndpointSliceLike => ({
  metadata: { name, namespace: 'default', labels: { [SERVICE_NAME_LABEL]: SERVICE } },
  addressType: 'IPv4',
  endpoints: [{ addresses: [ip], conditions: { ready: true } }],
  ports: [{ name: 'http', port: 8080 }],
});

function expectDialable(endpoints: readonly Endpoint[]): void {
  const ids = new Set<string>();
  for (const e of endpoints) {
    expect(isIP(e.host), `host ${e.host}`).not.toBe(0);
    expect(Number.isInteger(e.port) && e.port >= 1 && e.port <= 65_535).toBe(true);
    expect(Number.isFinite(e.weight) && e.weight > 0).toBe(true);
    expect(e.zone === undefined || typeof e.zone === 'string').toBe(true);
    for (const value of Object.values(e.metadata)) expect(typeof value).toBe('string');
    expect(ids.has(e.id)).toBe(false);
    ids.add(e.id);
  }
}

describe('EndpointSlices', () => {
  it('read into dialable entries, or are refused with a SliceError naming the slice', () => {
    fc.assert(
      fc.property(slice, port, (s, p) => {
        let entries: ReturnType<typeof readSlice>;
        try {
          entries = readSlice(s as EndpointSliceLike, SERVICE, p);
        } catch (error) {
          expect(error).toBeInstanceOf(SliceError);
          expect((error as SliceError).message).toMatch(/^EndpointSlice /);
          return;
        }
        for (const e of entries) {
          expect(isIP(e.host)).toBe((s as EndpointSliceLike).addressType === 'IPv4' ? 4 : 6);
          expect(Number.isInteger(e.port) && e.port >= 1 && e.port <= 65_535).toBe(true);
          for (const flag of [e.ready, e.serving, e.terminating])
            expect(typeof flag).toBe('boolean');
          expect(e.zone === undefined || (typeof e.zone === 'string' && e.zone.length > 0)).toBe(
            true,
          );
          for (const z of e.forZones) expect(typeof z).toBe('string');
          expect(e.pod === undefined || typeof e.pod === 'string').toBe(true);
          expect(e.node === undefined || typeof e.node === 'string').toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('merged, keep the last good entries of a slice through any unreadable version of it', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('upsert' as const), slice }),
      fc.record({
        kind: fc.constant('replace' as const),
        slices: fc.array(slice, { maxLength: 3 }),
      }),
      fc.record({ kind: fc.constant('delete' as const), slice }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 5 }), (ops) => {
        const set = new SliceSet(SERVICE, 'http');
        set.replace([good('s1', '10.0.0.1'), good('s2', '10.0.0.2')]);
        expect(set.endpoints().map((e) => e.id)).toEqual(['10.0.0.1:8080', '10.0.0.2:8080']);
        for (const o of ops) {
          const before = set.endpoints();
          let unreadable = 0;
          try {
            if (o.kind === 'upsert') unreadable = set.upsert(o.slice as EndpointSliceLike) ? 1 : 0;
            else if (o.kind === 'replace')
              unreadable = set.replace(o.slices as EndpointSliceLike[]).length;
            else set.delete(o.slice as EndpointSliceLike);
          } catch (error) {
            // Only a slice without a usable name may be turned away outright, and by a SliceError.
            expect(error).toBeInstanceOf(SliceError);
            expect(set.endpoints()).toEqual(before);
            continue;
          }
          expectDialable(set.endpoints());
          // One unreadable upsert changes nothing.
          if (o.kind === 'upsert' && unreadable === 1) expect(set.endpoints()).toEqual(before);
        }
      }),
      { numRuns: 100 },
    );
  });
});

/** What the properties above found, kept as plain cases. */
describe('counterexamples the EndpointSlice properties found', () => {
  const slice = (patch: Record<string, unknown>) =>
    ({ ...good('s1', '10.0.0.1'), ...patch }) as EndpointSliceLike;
  /** Read, or refused by a SliceError: the two answers a slice may get. */
  const readOrRefuse = (s: EndpointSliceLike) => {
    try {
      return readSlice(s, SERVICE, 'http');
    } catch (error) {
      expect(error).toBeInstanceOf(SliceError);
      return error as SliceError;
    }
  };

  it('refuses a null slice with a SliceError, and a SliceSet keeps its set (was a TypeError naming it)', () => {
    expect(() => readSlice(null as unknown as EndpointSliceLike, SERVICE, 'http')).toThrow(
      SliceError,
    );
    const set = new SliceSet(SERVICE, 'http');
    set.replace([good('s1', '10.0.0.1')]);
    expect(set.upsert(null as unknown as EndpointSliceLike)).toBeInstanceOf(SliceError);
    expect(set.endpoints().map((e) => e.id)).toEqual(['10.0.0.1:8080']);
  });

  it('answers a null among the ports or a forZones that is not a list without a TypeError', () => {
    readOrRefuse(slice({ ports: [null, { name: 'http', port: 8080 }] }));
    readOrRefuse(slice({ endpoints: [{ addresses: ['10.0.0.1'], hints: { forZones: 'eu-1a' } }] }));
  });

  it('never takes a condition that is not a boolean for one ("false" was a ready endpoint)', () => {
    for (const ready of ['false', 0, 'true']) {
      const read = readOrRefuse(
        slice({ endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready } }] }),
      );
      if (!(read instanceof SliceError)) expect(read[0]!.ready).toBe(true);
    }
    const read = readOrRefuse(
      slice({ endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: 'false' } }] }),
    );
    expect(read).toBeInstanceOf(SliceError);
  });
});
