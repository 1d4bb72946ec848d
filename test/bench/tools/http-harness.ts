/**
 * An independent harness for HTTP throughput against raw undici, shaped the way a new user
 * measured it: a keep-alive `node:http` server in its own process answering `ok`; raw
 * `pool.request({ path: '/', method: 'GET' })` on `new Pool(origin, { connections: 64 })`; the
 * client made with `service`, `discovery: [addr]` and `timeout: { totalMs: 5000 }`; each call
 * reads the body as text; pairs of duration-bounded slices (300 ms), each Outrigger slice
 * compared with the raw slice just before it; the median of those ratios. Variants switch one
 * factor at a time to find what makes this shape harder than the project's bench.
 * Run: node --expose-gc --import tsx bench/tools/http-harness.ts [concurrency] [pairs] [variant...]
 */
import { createHttpClient } from '@outrigger/http';
import { Pool } from 'undici';
import { type Call, timedSlice } from '../suites/http/load.js';
import { startBackend } from '../suites/http/server.js';

const concurrency = Number(process.argv[2] ?? 64);
const pairs = Number(process.argv[3] ?? 20);
const wanted = process.argv.slice(4);
const SLICE_MS = 300;

const backend = await startBackend();
const origin = `http://127.0.0.1:${backend.port}`;
const address = `127.0.0.1:${backend.port}`;
const pool = new Pool(origin, { connections: 64 });
const client = createHttpClient({
  service: 'bench',
  discovery: [address],
  timeout: { totalMs: 5_000 },
});
const clientNoTimeout = createHttpClient({
  service: 'bench2',
  discovery: [address],
  timeout: false,
});

const clientCapped = createHttpClient({
  service: 'bench3',
  discovery: [address],
  timeout: { totalMs: 5_000 },
  connections: 64,
});

const clientNoHeader = createHttpClient({
  service: 'bench4',
  discovery: [address],
  timeout: { totalMs: 5_000 },
  deadlineHeader: false,
});

const raw: Call = async () => {
  const res = await pool.request({ path: '/', method: 'GET' });
  await res.body.text();
};
const variants: Record<string, Call> = {
  'outrigger text': async () => {
    const res = await client.request('/');
    await res.body.text();
  },
  'outrigger dump': async () => {
    const res = await client.request('/');
    await res.body.dump();
  },
  'outrigger text, timeout off': async () => {
    const res = await clientNoTimeout.request('/');
    await res.body.text();
  },
  'outrigger text, header off': async () => {
    const res = await clientNoHeader.request('/');
    await res.body.text();
  },
  'outrigger text, connections 64': async () => {
    const res = await clientCapped.request('/');
    await res.body.text();
  },
  'outrigger fetch text': async () => {
    const res = await client.fetch('/');
    await res.text();
  },
};
const chosen = Object.entries(variants).filter(([n]) => wanted.length === 0 || wanted.includes(n));
for (const [, call] of chosen) await timedSlice(call, concurrency, 500);
await timedSlice(raw, concurrency, 500);
const ratios = new Map<string, number[]>(chosen.map(([n]) => [n, []]));
for (let i = 0; i < pairs; i++) {
  for (const [name, call] of chosen) {
    const base = await timedSlice(raw, concurrency, SLICE_MS);
    const mine = await timedSlice(call, concurrency, SLICE_MS);
    ratios.get(name)!.push(mine / base);
  }
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
};
console.log(`concurrency ${concurrency}, ${pairs} pairs of ${SLICE_MS} ms slices`);
for (const [name, xs] of ratios) {
  console.log(
    `${name.padEnd(30)} median ${median(xs).toFixed(3)}  min ${Math.min(...xs).toFixed(3)}  max ${Math.max(...xs).toFixed(3)}`,
  );
}
await client.close();
await clientNoTimeout.close();
await clientCapped.close();
await clientNoHeader.close();
await pool.close();
await backend.stop();
