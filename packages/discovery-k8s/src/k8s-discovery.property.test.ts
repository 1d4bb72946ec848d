import { type Discovery, type Endpoint, ManualClock, settle } from '@outrigger/core';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type EndpointSliceLike, readSlice, SERVICE_NAME_LABEL } from './endpoint-slice.js';
import { k8sDiscoveryOver } from './k8s-discovery.js';
import { FakeApi, slice } from './test-support/fake-api.js';

/**
 * Fuzzed inputs: k8sDiscovery fed a good list and then a watch of junk events (unknown
 * types, objects of any shape, slices it cannot read). The good set stays what subscribers have;
 * every bad object is reported, never thrown out of the watch, and never turns into an empty or
 * undialable set.
 */

// A property runs many cases: room for a loaded CI machine (each case has its own fast-check timeout).
vi.setConfig({ testTimeout: 30_000 });

const open: Discovery[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.close()));
});

const jsonJunk = fc.jsonValue({ maxDepth: 2 });
const orJunk = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof(
    { weight: 4, arbitrary: arb as fc.Arbitrary<unknown> },
    { weight: 1, arbitrary: jsonJunk },
  );

/** Slices of `payments` (so they are read, not ignored) with junk in every field. */
const junkSlice = fc.record({
  metadata: orJunk(
    fc.record({
      name: orJunk(fc.constantFrom('s1', 's2')),
      namespace: fc.constant('shop'),
      resourceVersion: orJunk(fc.constantFrom('6', '7')),
      labels: orJunk(fc.constant({ [SERVICE_NAME_LABEL]: 'payments' })),
    }),
  ),
  addressType: orJunk(fc.constantFrom('IPv4', 'IPv6', 'FQDN')),
  endpoints: orJunk(
    fc.array(
      orJunk(
        fc.record(
          {
            addresses: orJunk(
              fc.array(orJunk(fc.constantFrom('10.0.0.9', '', '::1', 'x')), { maxLength: 2 }),
            ),
            conditions: orJunk(
              fc.record({ ready: fc.constantFrom<unknown>(true, false, null, 'false', 0) }),
            ),
          },
          { requiredKeys: [] },
        ),
      ),
      { minLength: 1, maxLength: 2 },
    ),
  ),
  ports: orJunk(
    fc.array(
      orJunk(
        fc.record({
          name: orJunk(fc.constant('http')),
          port: orJunk(fc.integer({ min: -1, max: 70_000 })),
        }),
      ),
      { maxLength: 2 },
    ),
  ),
});

/** Objects readSlice refuses: what a watch must report and ignore. */
const unreadable = fc.oneof(junkSlice, jsonJunk).filter((object) => {
  try {
    readSlice(object as EndpointSliceLike, 'payments', undefined);
    return false;
  } catch {
    return true;
  }
});
const event = fc.record({
  type: fc.constantFrom('ADDED', 'MODIFIED', 'BOOKMARK', 'bogus', '', 'added'),
  object: unreadable,
});

describe('k8sDiscovery over junk watch events', () => {
  it('keeps the good set and reports the bad objects, whatever the watch sends', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 4 }), async (events) => {
        const api = new FakeApi();
        const sets: (readonly Endpoint[])[] = [];
        const errors: unknown[] = [];
        const discovery = k8sDiscoveryOver(api, {
          namespace: 'shop',
          clock: new ManualClock(),
          random: () => 0.5,
        });
        open.push(discovery);
        discovery.subscribe('payments', {
          onEndpoints: (e) => sets.push(e),
          onError: (e) => errors.push(e),
        });
        await settle();
        api.lastList().answer({ items: [slice('s1', [{ ip: '10.0.0.1' }])], resourceVersion: '5' });
        await settle();
        expect(sets.map((s) => s.map((e) => e.id))).toEqual([['10.0.0.1:8080']]);
        for (const e of events) {
          expect(() => api.lastWatch().emit(e.type, e.object)).not.toThrow();
          await settle(2);
        }
        expect(sets.map((s) => s.map((e) => e.id))).toEqual([['10.0.0.1:8080']]);
        const changes = events.filter((e) => e.type === 'ADDED' || e.type === 'MODIFIED');
        if (changes.length > 0) expect(errors.length).toBeGreaterThan(0);
        await discovery.close();
      }),
      { numRuns: 60, timeout: 2_000 },
    );
  });
});
