import { describe, expect, it } from 'vitest';
import { k8sTestCluster, type Observed, sliceFor, until } from './support/cluster.js';

const cluster = k8sTestCluster();

function expectNeverMissing(seen: Observed, ip: string) {
  for (const set of seen.sets) {
    expect(set, `a set without ${ip}`).toContain(ip);
    expect(new Set(set).size, `duplicates in ${set}`).toBe(set.length);
  }
}

describe('Kubernetes discovery: a Service over several EndpointSlices', () => {
  it('merges three slices into one set, and calls reach every pod', async () => {
    const d = await cluster.apiServer();
    const pods = await cluster.pods(6);
    d.apply(sliceFor('payments-aaaaa', pods.slice(0, 2)));
    d.apply(sliceFor('payments-bbbbb', pods.slice(2, 4)));
    d.apply(sliceFor('payments-ccccc', pods.slice(4, 6)));
    const seen = cluster.observe(d);
    const client = cluster.client(d, {}, { balancer: 'round-robin' });
    await until(() => seen.sets.length > 0, 5_000, 'the first set');
    expect(seen.last.sort()).toEqual(pods.map((p) => p.ip).sort());
    const landed = new Set<string>();
    for (let i = 0; i < 36; i++) landed.add(await (await client.fetch('/')).text());
    expect(landed).toEqual(new Set(pods.map((p) => p.name)));
  });

  it('every client of the Service in the process shares one list and one watch', async () => {
    const d = await cluster.apiServer();
    const [a, b] = await cluster.pods(2);
    d.apply(sliceFor('payments-aaaaa', [a!]));
    const clients = [cluster.client(d), cluster.client(d), cluster.client(d)];
    for (const c of clients) expect(await (await c.fetch('/')).text()).toBe(a!.name);
    const seen = cluster.observe(d);
    // A rollout step: a terminating, b ready.
    d.apply(
      sliceFor('payments-aaaaa', [a!, b!], {
        [a!.name]: { ready: false, serving: true, terminating: true },
      }),
    );
    await until(() => seen.last.join() === b!.ip, 5_000, 'the change');
    for (const c of clients) expect(await (await c.fetch('/')).text()).toBe(b!.name);
    expect(d.requests.filter((r) => !r.watch)).toHaveLength(1);
    expect(d.requests.filter((r) => r.watch)).toHaveLength(1);
    // Closing two of them leaves the watch running for the others.
    await clients[0]!.close();
    await clients[1]!.close();
    expect(d.watchCount).toBe(1);
  });

  it('a client that verifies the API server is never served by a watch that does not', async () => {
    const d = await cluster.apiServer();
    const [a] = await cluster.pods(1);
    d.apply(sliceFor('payments-aaaaa', [a!]));
    // The double's kubeconfig skips verification (it speaks plain HTTP): that client is served.
    const lax = cluster.client(d);
    expect(await (await lax.fetch('/')).text()).toBe(a!.name);
    // The same server and token, verifying: it gets its own informer, which client-node refuses
    // to run over plain HTTP, rather than the lax one's endpoints.
    const verifying = cluster.kubeConfig(d);
    verifying.clusters = verifying.clusters.map((c) => ({ ...c, skipTLSVerify: false }));
    const strict = cluster.client(d, { kubeConfig: verifying }, { discoveryInitialWaitMs: 200 });
    await expect(strict.fetch('/')).rejects.toMatchObject({
      code: 'NO_ENDPOINTS',
      message: expect.stringMatching(/skipTLSVerify/),
    });
    expect(d.requests.filter((r) => !r.watch)).toHaveLength(1);
  });

  for (const order of ['new slice first', 'old slice first'] as const) {
    it(`a pod moving between slices is never missing nor doubled (${order})`, async () => {
      const d = await cluster.apiServer();
      const [a, b, c, e, f, g, marker] = await cluster.pods(7);
      d.apply(sliceFor('payments-aaaaa', [a!, b!]));
      d.apply(sliceFor('payments-bbbbb', [c!, e!]));
      d.apply(sliceFor('payments-ccccc', [f!, g!]));
      const seen = cluster.observe(d);
      const client = cluster.client(d);
      await until(() => seen.sets.length > 0, 5_000, 'the first set');

      // The controller rebalances: c moves from slice b to slice a, as two writes.
      const into = () => d.apply(sliceFor('payments-aaaaa', [a!, b!, c!]));
      const outOf = () => d.apply(sliceFor('payments-bbbbb', [e!]));
      const versionBefore = Number(d.resourceVersion);
      if (order === 'new slice first') {
        into();
        outOf();
      } else {
        outOf();
        into();
      }
      const calls = await Promise.all(Array.from({ length: 20 }, () => client.fetch('/')));
      for (const res of calls) expect(res.status).toBe(200);
      await Promise.all(calls.map((r) => r.text()));
      expect(Number(d.resourceVersion)).toBe(versionBefore + 2);
      // A move changes nothing a client sees. A later write that does shows both were handled
      // (a watch delivers in order).
      d.apply(sliceFor('payments-ddddd', [marker!]));
      await until(() => seen.last.includes(marker!.ip), 5_000, 'the marker after the move');
      expectNeverMissing(seen, c!.ip);
      expect(seen.last.sort()).toEqual([a, b, c, e, f, g, marker].map((p) => p!.ip).sort());
    });
  }

  it('a pod moving between slices is not missing even when a re-list lands between the writes', async () => {
    const d = await cluster.apiServer();
    const [a, b, c, marker] = await cluster.pods(4);
    d.apply(sliceFor('payments-aaaaa', [a!]));
    d.apply(sliceFor('payments-bbbbb', [b!, c!]));
    const seen = cluster.observe(d, { backoff: { initialMs: 10, maxMs: 50 } });
    await until(() => d.watchCount === 1 && seen.sets.length > 0, 5_000, 'the watch');

    d.dropWatches('end');
    d.apply(sliceFor('payments-bbbbb', [b!]));
    d.compact();
    await until(() => d.requests.filter((r) => !r.watch).length === 2, 5_000, 'the re-list');
    await until(() => d.watchCount === 1, 5_000, 'the new watch');
    d.apply(sliceFor('payments-aaaaa', [a!, c!]));
    d.apply(sliceFor('payments-ddddd', [marker!]));
    await until(() => seen.last.includes(marker!.ip), 5_000, 'the marker after the move');
    expectNeverMissing(seen, c!.ip);
    expect(seen.last.sort()).toEqual([a, b, c, marker].map((p) => p!.ip).sort());
  });
});
