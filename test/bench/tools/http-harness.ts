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
import { createHttpClient, type HttpClient, type HttpClientOptions } from '@outrigger/http';
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
/** The client as the harness made it, with one option changed per variant. */
const clients: HttpClient[] = [];
const made = (extra: Partial<HttpClientOptions> = {}): HttpClient => {
  const c = createHttpClient({
    service: `bench${clients.length}`,
    discovery: [address],
    timeout: { totalMs: 5_000 },
    ...extra,
  });
  clients.push(c);
  return c;
};
const text =
  (c: HttpClient): Call =>
  async () => {
    const res = await c.request('/');
    await res.body.text();
  };
const client = made();

const raw: Call = async () => {
  const res = await pool.request({ path: '/', method: 'GET' });
  await res.body.text();
};
const variants: Record<string, Call> = {
  'outrigger text': text(client),
  'outrigger dump': async () => {
    const res = await client.request('/');
    await res.body.dump();
  },
  'outrigger text, timeout off': text(made({ timeout: false })),
  'outrigger text, header off': text(made({ deadlineHeader: false })),
  'outrigger text, connections 64': text(made({ connections: 64 })),
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
for (const c of clients) await c.close();
await pool.close();
await backend.stop();
