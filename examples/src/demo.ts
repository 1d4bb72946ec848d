/**
 * `npm run demo`: one downstream service with four local instances (healthy, slow, flaky and
 * dead), called first by a plain client (round robin over undici, a 1 s timeout per call, no
 * retries) and then by an Outrigger client with default policies, live and then side by side.
 * Everything runs on 127.0.0.1 and stops by itself.
 */
import { createHttpClient } from '@outrigger/http';
import { Pool } from 'undici';
import { startInstances } from './demo/backends.js';
import { drive, summary, type Tally } from './demo/load.js';

const CALLS = 600;
const CONCURRENCY = 8;

const { instances, dead, close } = await startInstances();
const addresses = [...instances.map((i) => i.address), dead];
console.log('Instances of "inventory" on 127.0.0.1:');
for (const [i, name] of [
  'healthy',
  'slow (400 ms)',
  'flaky (503 half the time)',
  'dead (connection refused)',
].entries()) {
  console.log(`  ${addresses[i]}  ${name}`);
}

// The plain client: round robin, a timeout per call, nothing else.
const pools = addresses.map((a) => new Pool(`http://${a}`));
let next = 0;
const plain = async () => {
  const pool = pools[next++ % pools.length]!;
  const res = await pool.request({
    path: '/items/42',
    method: 'GET',
    signal: AbortSignal.timeout(1_000),
  });
  await res.body.dump();
  return res.statusCode;
};

const inventory = createHttpClient({
  service: 'inventory',
  discovery: addresses,
  timeout: { totalMs: 1_000, perTryMs: 250 },
});
let attempts = 0;
inventory.events.on('retry.scheduled', () => attempts++);
const ejected: string[] = [];
inventory.events.on('outlier.ejected', (e) => ejected.push(e.endpoint.id));
const outrigger = async () => {
  const res = await inventory.request('/items/42');
  await res.body.dump();
  return res.statusCode;
};

const progress = (label: string) => (done: number, t: Tally) =>
  console.log(`  ${label} ${String(done).padStart(4)} calls: ${summary(t)}`);
console.log(`\n${CALLS} calls, ${CONCURRENCY} at a time, plain client:`);
const plainTally = await drive(CALLS, CONCURRENCY, plain, progress('plain    '));
console.log(`\nThe same with Outrigger (P2C-EWMA, outlier ejection, budgeted retries, deadlines):`);
const outriggerTally = await drive(CALLS, CONCURRENCY, outrigger, progress('outrigger'));

console.log('\nSide by side:');
console.log(`  plain      ${summary(plainTally)}`);
console.log(`  outrigger  ${summary(outriggerTally)}`);
console.log(
  `  outrigger made ${(1 + attempts / CALLS).toFixed(2)} attempts per call; ejected: ${[...new Set(ejected)].join(', ') || 'none'}`,
);
console.log(`  hits per instance: ${instances.map((i) => `${i.name} ${i.hits}`).join(', ')}`);

await inventory.close();
await Promise.all(pools.map((p) => p.close()));
await close();
