import { describe, expect, it } from 'vitest';
import { k8sTestCluster, sliceFor, until } from './support/cluster.js';

const cluster = k8sTestCluster();

describe('Kubernetes discovery: scale-up', () => {
  it('a pod added to the Service receives calls within 100 ms of the EndpointSlice change', async () => {
    const d = await cluster.apiServer();
    const [a, b, c] = await cluster.pods(3);
    d.apply(sliceFor('payments-abc', [a!, b!]));
    const client = cluster.client(d);
    expect(await (await client.fetch('/')).text()).toMatch(/^payments-/);

    // Steady traffic from 4 callers while the Deployment scales up.
    let stop = false;
    let calls = 0;
    let failures = 0;
    const caller = async () => {
      for (let i = 0; i < 20_000 && !stop; i++) {
        const res = await client.fetch('/').catch(() => undefined);
        if (res?.ok) await res.text();
        else failures++;
        calls++;
      }
    };
    const callers = Array.from({ length: 4 }, caller);
    await until(() => calls > 50, 5_000, 'warm-up traffic');

    const changed = performance.now();
    d.apply(sliceFor('payments-abc', [a!, b!, c!]));
    await until(() => c!.arrivals.length > 0, 2_000, 'the first call on the new pod');
    const firstCallMs = c!.arrivals[0]! - changed;
    stop = true;
    await Promise.all(callers);

    console.log(
      `scale-up: first call on the new pod ${firstCallMs.toFixed(1)} ms after the slice change`,
    );
    expect(firstCallMs).toBeLessThan(100);
    expect(failures).toBe(0);
  });
});
