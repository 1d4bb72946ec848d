import { ManualClock, settle } from '@outrigger/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { EndpointSliceLike } from './endpoint-slice.js';
import { ApiStatusError } from './slice-api.js';
import { SliceWatch, type SliceWatchHandler } from './slice-watch.js';
import { FakeApi, slice } from './test-support/fake-api.js';

interface Recorded {
  log: string[];
  failures: { error: unknown; phase: string; retryInMs: number }[];
}

function setup(overrides: { random?: () => number; backoffMaxMs?: number } = {}) {
  const api = new FakeApi();
  const clock = new ManualClock();
  const rec: Recorded = { log: [], failures: [] };
  const name = (s: EndpointSliceLike) => s.metadata?.name ?? '?';
  const handler: SliceWatchHandler = {
    replaced: (slices) => rec.log.push(`replaced ${slices.map(name).join(',')}`),
    upserted: (s) => rec.log.push(`upserted ${name(s)}`),
    deleted: (s) => rec.log.push(`deleted ${name(s)}`),
    failed: (error, phase, retryInMs) => rec.failures.push({ error, phase, retryInMs }),
  };
  const watch = new SliceWatch(
    {
      api,
      namespace: 'shop',
      labelSelector: 'kubernetes.io/service-name=payments',
      pageSize: 2,
      watchTimeoutSeconds: 300,
      requestTimeoutMs: 5_000,
      backoffInitialMs: 500,
      backoffMaxMs: overrides.backoffMaxMs ?? 4_000,
      clock,
      random: overrides.random ?? (() => 1 - Number.EPSILON),
    },
    handler,
  );
  watches.push(watch);
  return { api, clock, rec, watch };
}

const watches: SliceWatch[] = [];
afterEach(async () => {
  await Promise.all(watches.splice(0).map((w) => w.stop()));
});

describe('SliceWatch', () => {
  it('lists in pages with limit/continue, then watches from the list resourceVersion with bookmarks', async () => {
    const { api, rec, watch } = setup();
    watch.start();
    await settle();
    expect(api.lastList().query).toMatchObject({
      namespace: 'shop',
      labelSelector: 'kubernetes.io/service-name=payments',
      limit: 2,
    });
    api.lastList().answer({
      items: [slice('a', []), slice('b', [])],
      resourceVersion: '10',
      continueToken: 'c1',
    });
    await settle();
    expect(api.lists).toHaveLength(2);
    expect(api.lastList().query.continueToken).toBe('c1');
    expect(api.watches).toHaveLength(0);
    api.lastList().answer({ items: [slice('c', [])], resourceVersion: '10' });
    await settle();
    expect(rec.log).toEqual(['replaced a,b,c']);
    expect(api.lastWatch().query).toMatchObject({ resourceVersion: '10' });
    // client-go's spread: 1 to 2 times the shortest timeout.
    expect(api.lastWatch().query.timeoutSeconds).toBeGreaterThanOrEqual(300);
    expect(api.lastWatch().query.timeoutSeconds).toBeLessThanOrEqual(600);
  });

  it('resumes from the last resourceVersion, a bookmark’s included, when a watch ends; no re-list', async () => {
    const { api, rec, watch } = setup();
    watch.start();
    await settle();
    api.lastList().answer({ items: [], resourceVersion: '10' });
    await settle();
    api.lastWatch().emit('ADDED', slice('a', [], { rv: '11' }));
    api.lastWatch().emit('MODIFIED', slice('a', [], { rv: '12' }));
    api
      .lastWatch()
      .emit('BOOKMARK', { kind: 'EndpointSlice', metadata: { resourceVersion: '15' } });
    expect(watch.resourceVersion).toBe('15');
    api.lastWatch().end();
    await settle();
    expect(api.watches).toHaveLength(2);
    expect(api.lastWatch().query.resourceVersion).toBe('15');
    api.lastWatch().emit('DELETED', slice('a', [], { rv: '16' }));
    api.lastWatch().fail(new Error('ECONNRESET'));
    await settle();
    expect(rec.failures).toEqual([expect.objectContaining({ phase: 'watch', retryInMs: 500 })]);
    expect(api.lists).toHaveLength(1);
    expect(rec.log).toEqual(['replaced ', 'upserted a', 'upserted a', 'deleted a']);
  });

  it('re-lists at once on an ERROR event with code 410, and on an HTTP 410', async () => {
    const { api, clock, rec, watch } = setup();
    watch.start();
    await settle();
    api.lastList().answer({ items: [slice('a', [])], resourceVersion: '10' });
    await settle();
    api.lastWatch().emit('ERROR', {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      message: 'too old resource version: 10 (20)',
      reason: 'Expired',
      code: 410,
    });
    await settle();
    expect(api.watches[0]!.aborted).toBe(true);
    expect(watch.resourceVersion).toBeUndefined();
    expect(api.lists).toHaveLength(2);
    api.lastList().answer({ items: [slice('b', [])], resourceVersion: '21' });
    await settle();
    expect(api.lastWatch().query.resourceVersion).toBe('21');
    api.lastWatch().fail(new ApiStatusError(410, 'Gone', 'too old'));
    await settle();
    // A second expiry in a row waits a back-off rather than hammering the server.
    expect(api.lists).toHaveLength(2);
    await clock.advanceAsync(500);
    expect(api.lists).toHaveLength(3);
    expect(rec.failures).toEqual([]);
    expect(rec.log).toEqual(['replaced a', 'replaced b']);
  });

  it('an expiry after a watch that delivered changes re-lists at once, even after an earlier one', async () => {
    const { api, watch } = setup();
    watch.start();
    await settle();
    api.lastList().answer({ items: [], resourceVersion: '10' });
    await settle();
    const gone = { kind: 'Status', code: 410, reason: 'Expired', message: 'too old' };
    api.lastWatch().emit('ERROR', gone);
    await settle();
    api.lastList().answer({ items: [], resourceVersion: '20' });
    await settle();
    api.lastWatch().emit('ADDED', slice('a', [], { rv: '21' }));
    api.lastWatch().emit('ERROR', gone);
    await settle();
    expect(api.lists).toHaveLength(3);
  });

  it('restarts a chunked list from the first page when its continue token expires', async () => {
    const { api, rec, watch } = setup();
    watch.start();
    await settle();
    api.lastList().answer({ items: [slice('a', [])], resourceVersion: '10', continueToken: 'c1' });
    await settle();
    api
      .lastList()
      .fail(new ApiStatusError(410, 'Expired', 'The provided continue parameter is too old'));
    await settle();
    expect(api.lists).toHaveLength(3);
    expect(api.lastList().query.continueToken).toBeUndefined();
    api.lastList().answer({ items: [slice('a', []), slice('b', [])], resourceVersion: '30' });
    await settle();
    // Nothing half-listed was ever handed on.
    expect(rec.log).toEqual(['replaced a,b']);
  });

  it('backs off exponentially with jitter up to the cap, and resets after a success', async () => {
    const top = 1 - Number.EPSILON;
    const draws = [0, 0.5, top, top, top, top];
    const { api, clock, rec, watch } = setup({ random: () => draws.shift() ?? top });
    watch.start();
    await settle();
    for (let i = 0; i < 5; i++) {
      api.lastList().fail(new Error('ECONNREFUSED'));
      await settle();
      await clock.advanceAsync(rec.failures.at(-1)!.retryInMs);
    }
    // ceilings 500, 1000, 2000, 4000, 4000 (cap); delay = ceiling * (0.5 + 0.5 * random)
    expect(rec.failures.map((f) => f.retryInMs)).toEqual([250, 750, 2000, 4000, 4000]);
    expect(rec.failures.every((f) => f.phase === 'list')).toBe(true);
    api.lastList().answer({ items: [], resourceVersion: '5' });
    await settle();
    api.lastWatch().fail(new Error('reset'));
    await settle();
    expect(rec.failures.at(-1)!.retryInMs).toBe(500);
  });

  it('abandons a list with no answer after requestTimeoutMs', async () => {
    const { api, clock, rec, watch } = setup();
    watch.start();
    await settle();
    await clock.advanceAsync(5_000);
    expect(api.lists[0]!.query.signal.aborted).toBe(true);
    expect(rec.failures[0]!.error).toBeInstanceOf(Error);
    expect((rec.failures[0]!.error as Error).message).toBe('no answer within 5000 ms');
  });

  it('gives up on a watch that outlives its timeout (a half-open connection) and resumes', async () => {
    const { api, clock, rec, watch } = setup({ random: () => 0 });
    watch.start();
    await settle();
    api.lastList().answer({ items: [], resourceVersion: '10' });
    await settle();
    await clock.advanceAsync(300_000 + 29_999);
    expect(api.watches[0]!.aborted).toBe(false);
    await clock.advanceAsync(1);
    expect(api.watches[0]!.aborted).toBe(true);
    expect((rec.failures[0]!.error as Error).message).toMatch(/presumed dead/);
    await clock.advanceAsync(rec.failures[0]!.retryInMs);
    expect(api.lastWatch().query.resourceVersion).toBe('10');
  });

  it('abandons a watch whose server takes the request and never answers', async () => {
    const { api, clock, rec, watch } = setup();
    api.autoOpen = false;
    watch.start();
    await settle();
    api.lastList().answer({ items: [], resourceVersion: '10' });
    await settle();
    await clock.advanceAsync(4_999);
    expect(api.watches[0]!.aborted).toBe(false);
    await clock.advanceAsync(1);
    expect(api.watches[0]!.aborted).toBe(true);
    expect((rec.failures[0]!.error as Error).message).toBe('no answer to the watch within 5000 ms');
    // An open watch is not held to it.
    await clock.advanceAsync(rec.failures[0]!.retryInMs);
    api.lastWatch().open();
    await clock.advanceAsync(60_000);
    expect(api.lastWatch().aborted).toBe(false);
  });

  it('backs off when watches end at once with nothing in them', async () => {
    const { api, clock, watch } = setup();
    watch.start();
    await settle();
    api.lastList().answer({ items: [], resourceVersion: '10' });
    await settle();
    api.lastWatch().end();
    await settle();
    expect(api.watches).toHaveLength(2);
    api.lastWatch().end();
    await settle();
    expect(api.watches).toHaveLength(2);
    await clock.advanceAsync(500);
    expect(api.watches).toHaveLength(3);
  });

  it('stop() aborts the watch in flight, clears its timers and ends the loop', async () => {
    const { api, clock, watch } = setup();
    watch.start();
    await settle();
    api.lastList().answer({ items: [], resourceVersion: '10' });
    await settle();
    await watch.stop();
    expect(api.lastWatch().aborted).toBe(true);
    expect(clock.pendingTimers).toBe(0);
    await clock.advanceAsync(1_000_000);
    expect(api.watches).toHaveLength(1);
    expect(api.lists).toHaveLength(1);
  });

  it('stop() during a back-off wakes the loop and ends it', async () => {
    const { api, clock, watch } = setup();
    watch.start();
    await settle();
    api.lastList().fail(new Error('ECONNREFUSED'));
    await settle();
    expect(clock.pendingTimers).toBe(1);
    await watch.stop();
    expect(clock.pendingTimers).toBe(0);
    expect(api.lists).toHaveLength(1);
  });
});
