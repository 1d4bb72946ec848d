import type { HttpClient } from '@outrigger/http';
import { describe, expect, it } from 'vitest';
import type { ApiServerDouble } from './support/apiserver-double.js';
import { k8sTestCluster, type Observed, sliceFor, until } from './support/cluster.js';

const cluster = k8sTestCluster();

/** Calls from 2 callers until stopped; resolves to [calls, failures]. */
function traffic(client: HttpClient) {
  let stop = false;
  let calls = 0;
  let failures = 0;
  const caller = async () => {
    for (let i = 0; i < 50_000 && !stop; i++) {
      const res = await client.fetch('/').catch(() => undefined);
      if (res?.ok) await res.text();
      else failures++;
      calls++;
      await new Promise((r) => setImmediate(r));
    }
  };
  const running = Promise.all([caller(), caller()]);
  return {
    get calls() {
      return calls;
    },
    async stop() {
      stop = true;
      await running;
      return { calls, failures };
    },
  };
}

function expectClean(seen: Observed) {
  for (const set of seen.sets) {
    expect(new Set(set).size, `duplicates in ${set}`).toBe(set.length);
    expect(set.length, 'an empty set was delivered').toBeGreaterThan(0);
  }
}

const lists = (d: ApiServerDouble) => d.requests.filter((r) => !r.watch);
const watches = (d: ApiServerDouble) => d.requests.filter((r) => r.watch);

describe('Kubernetes discovery: the watch survives the real world', () => {
  for (const how of ['end', 'destroy'] as const) {
    it(`a dropped watch (${how}) resumes from the last resourceVersion, bookmarks included, without a re-list`, async () => {
      const d = await cluster.apiServer({ bookmarkIntervalMs: 20 });
      const [a, b, c] = await cluster.pods(3);
      d.apply(sliceFor('payments-abc', [a!, b!]));
      const client = cluster.client(d, { backoff: { initialMs: 20, maxMs: 100 } });
      const seen = cluster.observe(d);
      const load = traffic(client);
      await until(() => load.calls > 20 && seen.sets.length > 0, 5_000, 'traffic');
      // An unrelated write moves the resourceVersion; only a bookmark tells the client.
      d.apply(sliceFor('orders-xyz', [c!], {}, 'orders'));
      const bookmarked = d.resourceVersion;
      // One watch: the client and the observer share the process's informer.
      await until(() => d.watchCount === 1, 5_000, 'the watch');
      const sent = d.bookmarksSent;
      await until(() => d.bookmarksSent >= sent + 2, 5_000, 'bookmarks after the write');

      d.dropWatches(how);
      d.apply(sliceFor('payments-abc', [a!, b!, c!]));
      await until(() => seen.last.length === 3, 5_000, 'the change made while disconnected');
      const { failures } = await load.stop();

      expect(lists(d)).toHaveLength(1);
      const resumed = watches(d).slice(1);
      expect(resumed.length).toBeGreaterThan(0);
      for (const w of resumed)
        expect(Number(w.query.resourceVersion)).toBeGreaterThanOrEqual(Number(bookmarked));
      expect(seen.last.sort()).toEqual([a!.ip, b!.ip, c!.ip].sort());
      expectClean(seen);
      expect(failures).toBe(0);
    });
  }

  for (const expiredWatchAs of ['event', 'status'] as const) {
    it(`a watch expired with 410 (${expiredWatchAs}) re-lists and lands on exactly the cluster’s set`, async () => {
      const d = await cluster.apiServer({ expiredWatchAs });
      const [a, b, c] = await cluster.pods(3);
      d.apply(sliceFor('payments-abc', [a!, b!]));
      // No move grace: this test checks the re-list replaces the set in one step.
      const options = { backoff: { initialMs: 20, maxMs: 100 }, moveGraceMs: 0 };
      const client = cluster.client(d, options);
      const seen = cluster.observe(d, options);
      const load = traffic(client);
      await until(() => load.calls > 20 && d.watchCount === 1, 5_000, 'traffic');

      // While the client is disconnected the slice changes twice and history is compacted.
      d.dropWatches('end');
      d.apply(sliceFor('payments-abc', [a!, b!, c!]));
      d.apply(sliceFor('payments-abc', [a!, c!]));
      d.compact();
      await until(
        () => lists(d).length === 2 && seen.last.length === 2 && seen.last.includes(c!.ip),
        5_000,
        'a re-list',
      );
      const { failures } = await load.stop();

      expect(lists(d)).toHaveLength(2);
      if (expiredWatchAs === 'status') expect(watches(d).some((w) => w.status === 410)).toBe(true);
      expect(seen.last.sort()).toEqual([a!.ip, c!.ip].sort());
      // The re-list replaced the set at once: b went and c came in one delivery.
      expect(seen.sets.map((s) => s.slice().sort().join())).toEqual([
        [a!.ip, b!.ip].sort().join(),
        [a!.ip, c!.ip].sort().join(),
      ]);
      expectClean(seen);
      expect(failures).toBe(0);
      // The new watch starts from the new list's resourceVersion.
      await until(() => d.watchCount === 1, 5_000, 'the new watch');
      expect(watches(d).at(-1)!.query.resourceVersion).toBe(d.resourceVersion);
    });
  }

  it('a chunked list whose continue token expires starts over and merges every page', async () => {
    const d = await cluster.apiServer();
    const pods = await cluster.pods(6);
    for (const [i, p] of pods.slice(0, 5).entries()) d.apply(sliceFor(`payments-${i}`, [p]));
    let expired = false;
    d.onRequest = (r) => {
      if (r.query.continue && !expired) {
        // A write, then compaction past the snapshot the first page was served from.
        expired = true;
        d.apply(sliceFor('payments-5', [pods[5]!]));
        d.compact();
      }
    };
    const seen = cluster.observe(d, { pageSize: 2 });
    await until(() => seen.sets.length > 0, 5_000, 'the first set');

    const listed = lists(d);
    expect(listed.map((r) => [r.query.continue ? 'continue' : 'first', r.status])).toEqual([
      ['first', 200],
      ['continue', 410],
      ['first', 200],
      ['continue', 200],
      ['continue', 200],
    ]);
    expect(expired).toBe(true);
    expect(listed.every((r) => r.query.limit === '2')).toBe(true);
    expect(seen.sets).toHaveLength(1);
    expect(seen.last.sort()).toEqual(pods.map((p) => p.ip).sort());
    expect(seen.errors).toEqual([]);
  });
});
