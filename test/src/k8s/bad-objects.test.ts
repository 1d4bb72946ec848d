import { describe, expect, it } from 'vitest';
import { k8sTestCluster, sliceFor, until } from './support/cluster.js';

const cluster = k8sTestCluster();

describe('Kubernetes discovery: bad or partial objects', () => {
  it('each bad slice gives an error naming it, and the last good set stays for the clients', async () => {
    const d = await cluster.apiServer();
    const [a, b, c, marker] = await cluster.pods(4);
    d.apply(sliceFor('payments-aaaaa', [a!, b!]));
    const seen = cluster.observe(d);
    // Round robin: sequential calls must reach both pods of the set (P2C-EWMA may keep to the
    // one whose first answer was faster, which says nothing about the set).
    const client = cluster.client(d, {}, { balancer: 'round-robin' });
    await until(() => seen.sets.length === 1 && d.watchCount === 1, 5_000, 'the watch');

    // Objects the API server accepts but discovery cannot use.
    d.apply({ ...sliceFor('payments-aaaaa', [c!]), ports: [] });
    d.apply({ ...sliceFor('payments-fqdn1', [c!]), addressType: 'FQDN' });
    d.apply({ ...sliceFor('payments-ipv9x', [c!]), addressType: 'IPv9' });
    const badAddress = sliceFor('payments-badip', [c!]);
    (badAddress.endpoints as { addresses: string[] }[])[0]!.addresses = ['not-an-ip'];
    d.apply(badAddress);
    // And what no real server sends to this label selector: a slice of no Service.
    const unlabelled = sliceFor('payments-nolbl', [c!]);
    unlabelled.metadata.labels = {};
    d.inject('ADDED', unlabelled);
    await until(() => seen.errors.length === 5, 5_000, 'five errors');

    const messages = seen.errors.map((e) => e.message);
    expect(messages[0]).toMatch(
      /^Kubernetes discovery of shop\/payments \(EndpointSlices at http:\/\/127\.0\.0\.1:\d+\): EndpointSlice shop\/payments-aaaaa: has no port "http" \(its ports: none\); the slice is ignored and its last good endpoints kept \(2 in the set\)$/,
    );
    expect(messages[1]).toMatch(
      /EndpointSlice shop\/payments-fqdn1: addressType FQDN is not supported/,
    );
    expect(messages[2]).toMatch(
      /EndpointSlice shop\/payments-ipv9x: addressType IPv9 is not supported/,
    );
    expect(messages[3]).toMatch(
      /EndpointSlice shop\/payments-badip: endpoint address "not-an-ip" is not an IPv4 address/,
    );
    expect(messages[4]).toMatch(
      /EndpointSlice shop\/payments-nolbl: has no kubernetes.io\/service-name label \(expected "payments"\)/,
    );
    expect(seen.sets).toEqual([[a!.ip, b!.ip]]);
    const landed = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const res = await client.fetch('/');
      expect(res.status).toBe(200);
      landed.add(await res.text());
    }
    expect(landed).toEqual(new Set([a!.name, b!.name]));

    // Fixed, the slice counts again; a good write after the bad ones still lands.
    d.apply(sliceFor('payments-aaaaa', [a!, b!, c!]));
    d.apply(sliceFor('payments-mmmmm', [marker!]));
    await until(() => seen.last.includes(marker!.ip), 5_000, 'the good writes');
    expect(seen.last.sort()).toEqual([a!.ip, b!.ip, c!.ip, marker!.ip].sort());
  });

  it('a bad slice in the first list is reported; the good ones make the first set', async () => {
    const d = await cluster.apiServer();
    const [a, c] = await cluster.pods(2);
    d.apply(sliceFor('payments-aaaaa', [a!]));
    d.apply({ ...sliceFor('payments-fqdn1', [c!]), addressType: 'FQDN' });
    const seen = cluster.observe(d);
    await until(
      () => seen.sets.length === 1 && seen.errors.length === 1,
      5_000,
      'the set and the error',
    );
    expect(seen.last).toEqual([a!.ip]);
    expect(seen.errors[0]!.message).toMatch(/shop\/payments-fqdn1: addressType FQDN/);
  });

  it('a watch stream carrying junk lines is dropped and resumed; the set stays, no re-list', async () => {
    const d = await cluster.apiServer();
    const [a, b] = await cluster.pods(2);
    d.apply(sliceFor('payments-aaaaa', [a!]));
    const seen = cluster.observe(d, { backoff: { initialMs: 10, maxMs: 50 } });
    for (const junk of ['null', '42', '{"no":"type"}', 'not json at all']) {
      await until(() => d.watchCount === 1, 5_000, 'a watch');
      const watches = d.requests.filter((r) => r.watch).length;
      d.injectLine(junk);
      await until(() => d.requests.filter((r) => r.watch).length > watches, 5_000, 'a new watch');
    }
    expect(seen.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/failed to watch: the watch sent a line that is not an event: null/),
      expect.stringMatching(/not an event: 42/),
      expect.stringMatching(/not an event: \{"no":"type"\}/),
      expect.stringMatching(/not JSON: not json at all/),
    ]);
    d.apply(sliceFor('payments-aaaaa', [a!, b!]));
    await until(() => seen.last.length === 2, 5_000, 'a change after the junk');
    expect(seen.sets).toEqual([[a!.ip], [a!.ip, b!.ip].sort()]);
    expect(d.requests.filter((r) => !r.watch)).toHaveLength(1);
  });
});
