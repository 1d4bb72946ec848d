/**
 * `npm run example -- fault-drill`: a resilience drill with fault injection. 30% of attempts
 * fail with an injected 503 and 20% wait 50 ms more, on the client itself, no proxy needed.
 * Retries under the budget mask the failures; every injection is an event (and a span
 * attribute), so a drill is never mistaken for an incident. `OUTRIGGER_<SERVICE>_FAULT=off`
 * ends the drill without a deploy.
 */
import { createHttpClient } from '@outrigger/http';
import { listen, named } from './support/local-servers.js';

const backend = await listen(named('ok'));
const orders = createHttpClient({
  service: 'orders',
  discovery: [backend.address],
  fault: { abort: { percent: 30, status: 503 }, delay: { percent: 20, ms: 50 } },
  retry: { maxAttempts: 3, budget: { ratio: 0.5, minPerSecond: 50 } },
  outlierDetection: false, // one instance: a drill should not eject it
  env: process.env,
});
const injected = { abort: 0, delay: 0 };
orders.events.on('fault.injected', (e) => injected[e.kind]++);
let retries = 0;
orders.events.on('retry.scheduled', () => retries++);

const statuses: Record<number, number> = {};
for (let i = 0; i < 200; i++) {
  const res = await orders.request('/orders/1');
  await res.body.dump();
  statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
}
console.log('statuses the caller saw:', statuses);
console.log(`injected: ${injected.abort} aborts, ${injected.delay} delays; retries: ${retries}`);

await orders.close();
await backend.close();
