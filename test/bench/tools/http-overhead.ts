/**
 * The HTTP client's own CPU per request, without sockets: raw `undici.request` and Outrigger's
 * `request` against one fake dispatcher that answers every request from a macrotask (as socket
 * reads arrive), in one process, alternating slices. What is left is the cost of the client
 * code itself, measurable to a tenth of a microsecond where the loopback bench swings by ±10%.
 * Run: node --import tsx bench/tools/http-overhead.ts [concurrency] [--json]; the HTTP suite runs
 * it too, in a process of its own (it replaces the pools' dispatch).
 */
import { createHttpClient } from '@outrigger/http';
import { Dispatcher } from 'undici';
import { EndpointPools } from '../../../packages/http/dist/pools.js';
import { fmt, stats } from '../lib/stats.js';

const HEADERS = [
  Buffer.from('content-type'),
  Buffer.from('text/plain'),
  Buffer.from('content-length'),
  Buffer.from('2'),
];
const BODY = Buffer.from('ok');

type Legacy = {
  onConnect(abort: (e?: Error) => void): void;
  onHeaders(status: number, raw: Buffer[], resume: () => void, text: string): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(trailers: Buffer[] | null): void;
};

/** Answers queued requests in one batch per macrotask, like a socket read does. */
class FakeDispatcher extends Dispatcher {
  #queue: Legacy[] = [];
  #scheduled = false;
  override dispatch(
    _opts: Dispatcher.DispatchOptions,
    handler: Dispatcher.DispatchHandler,
  ): boolean {
    const h = handler as unknown as Legacy;
    h.onConnect(() => undefined);
    this.#queue.push(h);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flush);
    }
    return true;
  }
  #flush = () => {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    for (const h of batch) {
      h.onHeaders(200, HEADERS, () => undefined, 'OK');
      h.onData(BODY);
      h.onComplete([]);
    }
  };
}

const fake = new FakeDispatcher();
// Every Outrigger pool dispatch goes to the fake instead of a socket.
EndpointPools.prototype.dispatch = (_e, options, attempt) => {
  fake.dispatch(options, attempt as unknown as Dispatcher.DispatchHandler);
};

const client = createHttpClient({
  service: 'bench',
  discovery: ['127.0.0.1:1'],
  timeout: { totalMs: 5_000 },
  ...JSON.parse(process.env.OPTS ?? '{}'),
});
const variants: Record<string, () => Promise<unknown>> = {
  'undici.request': async () => {
    const r = await fake.request({ origin: 'http://127.0.0.1:1', path: '/', method: 'GET' });
    await r.body.text();
  },
  'outrigger request': async () => {
    const r = await client.request('/');
    await r.body.text();
  },
};

async function slice(call: () => Promise<unknown>, c: number, n: number): Promise<number> {
  let issued = 0;
  const worker = async () => {
    while (issued++ < n) await call();
  };
  const cpu0 = process.cpuUsage();
  await Promise.all(Array.from({ length: c }, worker));
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / n;
}

const c = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 16);
for (const v of Object.values(variants)) await slice(v, c, 50_000);
const per: Record<string, number[]> = { 'undici.request': [], 'outrigger request': [] };
for (let round = 0; round < 15; round++) {
  for (const [name, v] of Object.entries(variants)) per[name]!.push(await slice(v, c, 20_000));
}
const raw = stats(per['undici.request']!);
const ours = stats(per['outrigger request']!);
const added = stats(per['outrigger request']!.map((x, i) => x - per['undici.request']![i]!));
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ raw, ours, added }));
} else {
  console.log(
    `c=${c} ${process.env.OPTS ?? ''}: undici.request ${fmt(raw)} µs, outrigger ${fmt(ours)} µs, added ${fmt(added)} µs (CPU per request, median (min–max) of 15)`,
  );
}
await client.close();
