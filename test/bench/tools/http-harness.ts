/**
 * An independent harness for HTTP throughput against raw undici, shaped the way a new user
 * measured it: a keep-alive `node:http` server in its own process answering `ok`; raw
 * `pool.request({ path: '/', method: 'GET' })` on `new Pool(origin, { connections: 64 })`; the
 * client made with `service`, `discovery: [addr]` and `timeout: { totalMs: 5000 }`; each call
 * reads the body as text; pairs of duration-bounded slices (300 ms), each Outrigger slice
 * compared with the raw slice just before it; the median of those ratios. Variants switch one
 * factor at a time to find what makes this shape harder than the project's bench; a variant
 * may also be client options as JSON (`'{"retry":false}'`), merged over the harness's.
 *
 * Beside each ratio it gives CPU per request, summed over the slices of each side: the client's
 * user and system time, and the server process's (from /proc, 10 ms ticks). At c=64 the client's
 * CPU per request is its wall time per request: the client is the bottleneck, and the ratio is
 * the inverse ratio of client CPU per request.
 * With `--against-default`, each variant is paired with the harness's default Outrigger client
 * instead of raw undici, the two slices of a pair in alternating order: what one factor costs,
 * to a percent or two, where ratios to raw swing by several percent from run to run.
 * Run: node --expose-gc --import tsx bench/tools/http-harness.ts [concurrency] [pairs] [variant...]
 */
import { readFileSync } from 'node:fs';
import { createHttpClient, type HttpClient, type HttpClientOptions } from '@outrigger/http';
import { Pool } from 'undici';
import { type Call, timedSlice } from '../suites/http/load.js';
import { startBackend } from '../suites/http/server.js';

const concurrency = Number(process.argv[2] ?? 64);
const pairs = Number(process.argv[3] ?? 20);
const againstDefault = process.argv.includes('--against-default');
const wanted = process.argv.slice(4).filter((a) => a !== '--against-default');
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
/** The harness's own client, made on first use. */
let defaultClient: HttpClient | undefined;
const client = (): HttpClient => {
  defaultClient ??= made();
  return defaultClient;
};

const raw: Call = async () => {
  const res = await pool.request({ path: '/', method: 'GET' });
  await res.body.text();
};
// The same raw client shape on a pool of its own: what the pair's order alone costs (A/A).
const poolB = new Pool(origin, { connections: 64 });
// Factories, so that a run makes only the clients it measures: clients of other shapes in the
// process, even idle ones, are not what a user's single client sees.
const variants: Record<string, () => Call> = {
  'raw again (A/A)': () => async () => {
    const res = await poolB.request({ path: '/', method: 'GET' });
    await res.body.text();
  },
  'outrigger text': () => text(client()),
  'outrigger dump': () => async () => {
    const res = await client().request('/');
    await res.body.dump();
  },
  'outrigger text, timeout off': () => text(made({ timeout: false })),
  'outrigger text, header off': () => text(made({ deadlineHeader: false })),
  'outrigger text, connections 64': () => text(made({ connections: 64 })),
  'outrigger fetch text': () => async () => {
    const res = await client().fetch('/');
    await res.text();
  },
};
for (const name of wanted) {
  if (name.startsWith('{'))
    variants[name] = () => text(made(JSON.parse(name) as HttpClientOptions));
}
const chosen: [string, Call][] = Object.entries(variants)
  .filter(([n]) => wanted.length === 0 || wanted.includes(n))
  .map(([n, make]) => [n, make()]);
for (const [, call] of chosen) await timedSlice(call, concurrency, 500);
await timedSlice(raw, concurrency, 500);

/** The server's CPU time so far, in µs (utime + stime from /proc, in 10 ms ticks). */
const serverCpu = (): number => {
  const fields = readFileSync(`/proc/${backend.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
};
/** CPU summed over one side's slices: requests, client user and system µs, server µs. */
type Cpu = { requests: number; user: number; system: number; server: number };
const sideCpu = (): Cpu => ({ requests: 0, user: 0, system: 0, server: 0 });
/** One slice; its rate, and its CPU added to `into`. */
const slice = async (call: Call, into: Cpu): Promise<number> => {
  const client0 = process.cpuUsage();
  const server0 = serverCpu();
  const t0 = performance.now();
  const rate = await timedSlice(call, concurrency, SLICE_MS);
  const used = process.cpuUsage(client0);
  into.requests += (rate * (performance.now() - t0)) / 1_000;
  into.user += used.user;
  into.system += used.system;
  into.server += serverCpu() - server0;
  return rate;
};

const ratios = new Map<string, number[]>(chosen.map(([n]) => [n, []]));
/** CPU of each variant's pairs: the baseline's slices (raw, or the default client) and its own. */
const cpu = new Map<string, { base: Cpu; mine: Cpu }>(
  chosen.map(([n]) => [n, { base: sideCpu(), mine: sideCpu() }]),
);
const baseline = againstDefault ? text(client()) : raw;
for (let i = 0; i < pairs; i++) {
  for (const [name, call] of chosen) {
    const sides = cpu.get(name)!;
    let base: number;
    let mine: number;
    // Against the default client, the order alternates: neither side always follows the other.
    if (againstDefault && i % 2 === 1) {
      mine = await slice(call, sides.mine);
      base = await slice(baseline, sides.base);
    } else {
      base = await slice(baseline, sides.base);
      mine = await slice(call, sides.mine);
    }
    ratios.get(name)!.push(mine / base);
  }
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
};
console.log(
  `concurrency ${concurrency}, ${pairs} pairs of ${SLICE_MS} ms slices, each variant against ${againstDefault ? 'the default Outrigger client' : 'raw undici'}`,
);
for (const [name, xs] of ratios) {
  console.log(
    `${name.padEnd(30)} median ${median(xs).toFixed(3)}  min ${Math.min(...xs).toFixed(3)}  max ${Math.max(...xs).toFixed(3)}`,
  );
}
const perRequest = (c: Cpu) =>
  `user ${(c.user / c.requests).toFixed(1)}  system ${(c.system / c.requests).toFixed(1)}  server ${(c.server / c.requests).toFixed(1)}`;
console.log(`CPU µs per request (${againstDefault ? 'default' : 'raw'} | variant):`);
for (const [name, { base: r, mine: m }] of cpu) {
  const extra = (m.user + m.system) / m.requests - (r.user + r.system) / r.requests;
  console.log(
    `${name.padEnd(30)} ${perRequest(r)} | ${perRequest(m)} | client ${extra >= 0 ? '+' : ''}${extra.toFixed(1)}`,
  );
}
for (const c of clients) await c.close();
await pool.close();
await poolB.close();
await backend.stop();
