import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { k8sTestCluster, ok, sliceFor, until } from './support/cluster.js';

const cluster = k8sTestCluster();

describe('Kubernetes discovery: terminating pods', () => {
  it('a terminating pod gets no new calls while its call in flight finishes', async () => {
    const d = await cluster.apiServer();
    const held: ServerResponse[] = [];
    const [a, b] = await cluster.pods(2);
    a!.handler = (req, res, pod) => {
      if (req.url === '/slow') held.push(res);
      else ok(req, res, pod);
    };
    d.apply(sliceFor('payments-abc', [a!]));
    const client = cluster.client(d);
    const seen = cluster.observe(d);
    const slow = client.fetch('/slow');
    await until(() => held.length === 1, 5_000, 'the slow call to reach pod a');

    // kubectl delete pod a: the controller marks it terminating, serving until it stops; b is up.
    d.apply(
      sliceFor('payments-abc', [a!, b!], {
        [a!.name]: { ready: false, serving: true, terminating: true },
      }),
    );
    await until(() => seen.last.join() === b!.ip, 2_000, 'the client to learn of the change');
    const before = a!.arrivals.length;
    const landed: string[] = [];
    for (let i = 0; i < 30; i++) landed.push(await (await client.fetch('/')).text());
    expect(a!.arrivals.length).toBe(before);
    expect(new Set(landed)).toEqual(new Set([b!.name]));

    // The call in flight on a finishes normally.
    held[0]!.end('done on a');
    const res = await slow;
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('done on a');
  });

  it('when every pod is terminating, the serving ones still get calls (kube-proxy’s fallback)', async () => {
    const d = await cluster.apiServer();
    const [a, b] = await cluster.pods(2);
    d.apply(
      sliceFor('payments-abc', [a!, b!], {
        [a!.name]: { ready: false, serving: true, terminating: true },
        [b!.name]: { ready: false, serving: false, terminating: true },
      }),
    );
    const client = cluster.client(d);
    const landed = new Set<string>();
    for (let i = 0; i < 10; i++) landed.add(await (await client.fetch('/')).text());
    expect(landed).toEqual(new Set([a!.name]));
  });
});
