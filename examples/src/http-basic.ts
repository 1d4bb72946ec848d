/**
 * `npm run example -- http-basic`: one client for a `catalog` service with two local instances,
 * one of them slow, called four at a time. P2C-EWMA weighs each instance's latency by the calls
 * in flight to it, learns which is faster and sends it most calls; `describe()` shows the chain
 * and where each setting came from; `snapshot()` the live state.
 */
import { createHttpClient } from '@outrigger/http';
import { listen, named, tally } from './support/local-servers.js';

const fast = await listen(named('fast'));
const slow = await listen(named('slow', 40));

const catalog = createHttpClient({
  service: 'catalog',
  discovery: [fast.address, slow.address],
  timeout: { totalMs: 1_000 },
});

const answers: string[] = [];
let started = 0;
const worker = async () => {
  while (started++ < 200) {
    const res = await catalog.request('/items/42');
    answers.push(await res.body.text());
  }
};
await Promise.all([worker(), worker(), worker(), worker()]);
console.log('answers per instance:', tally(answers));
const { balancer } = catalog.snapshot();
if (balancer) {
  for (const e of balancer.endpoints) {
    console.log(`  ${e.address}  peak EWMA ${e.latencyMs?.toFixed(1)} ms (slow to forget a peak)`);
  }
}
console.log(catalog.describe());

await catalog.close();
await Promise.all([fast.close(), slow.close()]);
