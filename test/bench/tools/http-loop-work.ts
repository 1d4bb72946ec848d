/**
 * What each client asks of the event loop per request, in the independent harness's shape (its
 * two sides from `harnessSides`, against the bench backend): connections opened, immediates,
 * ticks, microtasks and timers scheduled, and garbage collections with their pause. Issue 18
 * asked whether the gap to raw undici comes from connection count, GC debt or the loop; a count
 * that differs between the two clients points at a cause, equal counts put the gap on the CPU
 * each one spends in its own code.
 * The globals are wrapped for this process only, to count calls; each count is over one slice
 * of `REQUESTS`, the two clients alternating, after a warm-up.
 * Run: node --import tsx bench/tools/http-loop-work.ts [concurrency]
 */
import { subscribe } from 'node:diagnostics_channel';
import { PerformanceObserver } from 'node:perf_hooks';
import { stats } from '../lib/stats.js';
import { harnessSides } from '../suites/http/harness-shape.js';
import { type Call, runSlice } from '../suites/http/load.js';
import { startBackend } from '../suites/http/server.js';

const concurrency = Number(process.argv[2] ?? 64);
if (!Number.isInteger(concurrency) || concurrency < 1) {
  console.error(`concurrency ${process.argv[2]}: give a whole number of callers (1 or more)`);
  process.exit(2);
}
const REQUESTS = 40_000;
const ROUNDS = 4;

const counts = { connections: 0, immediates: 0, ticks: 0, microtasks: 0, timers: 0 };
const gc = { count: 0, ms: 0 };

subscribe('undici:client:connected', () => {
  counts.connections++;
});
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.count++;
    gc.ms += entry.duration;
  }
}).observe({ entryTypes: ['gc'] });

/** Counts calls of `name` on `target`, then calls through. */
function countCalls(target: object, name: string, key: keyof typeof counts): void {
  const holder = target as Record<string, (...args: unknown[]) => unknown>;
  const real = holder[name]!;
  holder[name] = function (this: unknown, ...args: unknown[]) {
    counts[key]++;
    return real.apply(this, args);
  };
}
countCalls(globalThis, 'setImmediate', 'immediates');
countCalls(globalThis, 'setTimeout', 'timers');
countCalls(globalThis, 'queueMicrotask', 'microtasks');
countCalls(process, 'nextTick', 'ticks');

const backend = await startBackend();
const harness = harnessSides(backend.port);
const sides: { name: string; call: Call }[] = [
  { name: 'undici.request', call: harness.raw },
  { name: 'outrigger request', call: harness.ours },
];

type Row = Record<keyof typeof counts | 'gcs' | 'gcMs', number[]>;
const rows: Row[] = sides.map(() => ({
  connections: [],
  immediates: [],
  ticks: [],
  microtasks: [],
  timers: [],
  gcs: [],
  gcMs: [],
}));

/** Connections each client opened in its warm-up: the pool it then runs on. */
const opened: number[] = [];
for (const { call } of sides) {
  counts.connections = 0;
  await runSlice(call, concurrency, 20_000);
  opened.push(counts.connections);
}
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? [0, 1] : [1, 0];
  for (const i of order) {
    for (const key of Object.keys(counts) as (keyof typeof counts)[]) counts[key] = 0;
    gc.count = 0;
    gc.ms = 0;
    await runSlice(sides[i]!.call, concurrency, REQUESTS);
    const row = rows[i]!;
    row.connections.push(counts.connections);
    for (const key of ['immediates', 'ticks', 'microtasks', 'timers'] as const) {
      row[key].push(counts[key] / REQUESTS);
    }
    // GC entries are delivered on a later turn: let the observer catch up (after the loop's
    // counts are read, so that this wait's own timer is not one of them).
    await new Promise((resolve) => setTimeout(resolve, 20));
    row.gcs.push((gc.count * 1_000) / REQUESTS);
    row.gcMs.push((gc.ms * 1_000) / REQUESTS);
  }
}

const median = (xs: number[]): number => stats(xs).median;
console.log(
  `concurrency ${concurrency}, ${ROUNDS} slices of ${REQUESTS} requests per client, medians`,
);
console.log(
  'client              connections (warm-up + slice)  immediates/req  ticks/req  microtasks/req  timers/req  GCs per 1k req  GC ms per 1k req',
);
for (let i = 0; i < sides.length; i++) {
  const r = rows[i]!;
  console.log(
    `${sides[i]!.name.padEnd(18)}  ${`${opened[i]} + ${median(r.connections)}`.padStart(29)}  ${median(r.immediates).toFixed(3).padStart(14)}  ${median(r.ticks).toFixed(3).padStart(9)}  ${median(r.microtasks).toFixed(3).padStart(14)}  ${median(r.timers).toFixed(3).padStart(10)}  ${median(r.gcs).toFixed(2).padStart(14)}  ${median(r.gcMs).toFixed(3).padStart(16)}`,
  );
}
await harness.close();
await backend.stop();
