import { describe, expect, it } from 'vitest';
import { k8sTestCluster, sliceFor } from './support/cluster.js';

const cluster = k8sTestCluster();

describe('Kubernetes discovery: zones', () => {
  it('the slices’ zones feed the balancer’s zone preference', async () => {
    const d = await cluster.apiServer();
    const [a, b, c] = await cluster.pods(3);
    d.apply(
      sliceFor('payments-abc', [a!, b!, c!], {
        [a!.name]: { zone: 'eu-west-1a' },
        [b!.name]: { zone: 'eu-west-1b' },
        [c!.name]: { zone: 'eu-west-1b' },
      }),
    );
    const local = cluster.client(d, {}, { zone: 'eu-west-1a' });
    const landed = new Set<string>();
    for (let i = 0; i < 30; i++) landed.add(await (await local.fetch('/')).text());
    expect(landed).toEqual(new Set([a!.name]));

    // Without a zone of its own, a client spreads over every zone.
    const anywhere = cluster.client(d, {}, { balancer: 'round-robin' });
    const spread = new Set<string>();
    for (let i = 0; i < 30; i++) spread.add(await (await anywhere.fetch('/')).text());
    expect(spread).toEqual(new Set([a!.name, b!.name, c!.name]));
  });
});
