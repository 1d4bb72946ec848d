import { describe, expect, it } from 'vitest';
import { k8sTestCluster, sliceFor, until } from './support/cluster.js';

const cluster = k8sTestCluster();

describe('Kubernetes discovery: API server outage', () => {
  it('10 s of API outage under traffic keeps the last set and loses no call, then recovers', async () => {
    const d = await cluster.apiServer();
    const [a, b, c, e] = await cluster.pods(4);
    d.apply(sliceFor('payments-abc', [a!, b!, c!]));
    const options = { backoff: { initialMs: 100, maxMs: 1_000 }, requestTimeoutMs: 1_000 };
    const client = cluster.client(d, options);
    const seen = cluster.observe(d, options);
    await until(() => seen.sets.length === 1 && d.watchCount === 1, 5_000, 'the watch');

    let stop = false;
    let calls = 0;
    const failures: unknown[] = [];
    const perPod = new Map<string, number>();
    const caller = async () => {
      for (let i = 0; i < 100_000 && !stop; i++) {
        try {
          const res = await client.fetch('/');
          const body = await res.text();
          if (res.status !== 200) failures.push(res.status);
          else perPod.set(body, (perPod.get(body) ?? 0) + 1);
        } catch (error) {
          failures.push(error);
        }
        calls++;
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const callers = Array.from({ length: 4 }, caller);

    // 10 s down, in three ways a control plane goes down: refused connections, 500s, silence.
    const phases = [
      ['refuse', 3_500],
      ['error', 3_500],
      ['hang', 3_000],
    ] as const;
    const requestsBefore = d.requests.length;
    for (const [outage, ms] of phases) {
      d.setOutage(outage);
      await new Promise((r) => setTimeout(r, ms));
    }
    d.setOutage(undefined);
    const during = d.requests.slice(requestsBefore);

    // Recovery: a change made after the outage reaches the client.
    d.apply(sliceFor('payments-abc', [a!, b!, c!, e!]));
    await until(() => seen.last.includes(e!.ip), 5_000, 'the first change after the outage');
    stop = true;
    await Promise.all(callers);

    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThan(500);
    for (const pod of [a!, b!, c!]) expect(perPod.get(pod.name) ?? 0).toBeGreaterThan(50);
    // The set never changed during the outage; only the post-outage change did.
    expect(seen.sets.map((s) => s.length)).toEqual([3, 4]);
    expect(seen.errors.length).toBeGreaterThan(2);
    expect(seen.errors.every((err) => /keeping the last good set/.test(err.message))).toBe(true);
    // The client kept trying, with back-off: not a storm, not silence (here the back-off grows
    // from 100 ms to 1 s and a hung request holds for its 1 s timeout: about ten tries on a
    // quiet machine, as few as five on a loaded one).
    expect(during.length).toBeGreaterThanOrEqual(3);
    expect(during.length).toBeLessThan(200);
    // And it resumed from its resourceVersion, without re-listing.
    expect(d.requests.filter((r) => !r.watch)).toHaveLength(1);
  }, 30_000);
});
