/**
 * An abort storm: `calls` GETs from `concurrency` callers, each call aborted by its
 * caller at a random 0–5 ms, against a `node:http` server that answers after a random 0–6 ms,
 * for plain undici `Pool` (with a signal), Outrigger `request` and Outrigger `fetch`, one after
 * another in this process, with the same seeded abort times. As in decision 0042, the server runs in
 * this process too: its event loop is the client's, so when the client floods it with connects
 * they pile up (Node accepts one connection per loop turn), which is what made the defect cost
 * thousands of sockets. A server in another process accepts them at once and hides it.
 *
 * Figures, per variant:
 * - connections opened: the connections the server accepted during the storm;
 * - peak pending connects: the most TCP connects in progress at once on the client side, from
 *   undici's diagnostics channels (`undici:client:beforeConnect` minus `connected` and
 *   `connectError`);
 * - peak open fds: the most entries in /proc/self/fd, sampled every 2 ms (both ends of a loopback
 *   connection count, the server's end once it is accepted); fds after: once the last call has
 *   settled, before the client is closed;
 * - heap: `heapUsed` after a full gc once every call has settled (client still open), minus the
 *   same before the storm.
 *
 * Run: cd test && node --expose-gc --import tsx bench/tools/abort-storm.ts [calls] [concurrency]
 * The bench's abort-storm suite runs it too and writes the table into BENCHMARKS.md.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { createHttpClient } from '@outrigger/http';
import { Pool } from 'undici';

export interface StormOptions {
  calls: number;
  concurrency: number;
  /** Each call is aborted at a uniform random time in [0, abortMs) ms. */
  abortMs: number;
}

export const ISSUE_SCENARIO: StormOptions = { calls: 10_000, concurrency: 32, abortMs: 5 };

export interface StormFigures {
  readonly variant: string;
  readonly answered: number;
  readonly aborted: number;
  readonly connections: number;
  readonly peakPending: number;
  readonly peakFds: number;
  readonly fdsAfter: number;
  readonly heapDeltaMb: number;
  readonly ms: number;
}

/** One variant: `open` makes the client, `call` makes one call (body read) with `signal`. */
interface Variant {
  readonly name: string;
  open(origin: string): {
    call(signal: AbortSignal): Promise<unknown>;
    close(): Promise<void>;
  };
}

const VARIANTS: Variant[] = [
  {
    name: 'undici Pool.request + signal',
    open(origin) {
      const pool = new Pool(origin);
      return {
        call: async (signal) => {
          const res = await pool.request({ path: '/', method: 'GET', signal });
          return res.body.text();
        },
        close: () => pool.close(),
      };
    },
  },
  {
    name: 'outrigger request + signal',
    open(origin) {
      const client = createHttpClient({ service: 'storm', discovery: [origin.slice(7)] });
      return {
        call: async (signal) => {
          const res = await client.request('/', { signal });
          return res.body.text();
        },
        close: () => client.close(),
      };
    },
  },
  {
    name: 'outrigger fetch + signal',
    open(origin) {
      const client = createHttpClient({ service: 'storm', discovery: [origin.slice(7)] });
      return {
        call: async (signal) => (await client.fetch('/', { signal })).text(),
        close: () => client.close(),
      };
    },
  },
];

/** mulberry32: the same abort times for every variant. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const openFds = () => readdirSync('/proc/self/fd').length;

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('run with node --expose-gc');
  collect();
  collect();
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

/** Connects in progress on the client, from undici's diagnostics channels. */
class ConnectWatch {
  pending = 0;
  peak = 0;
  readonly #begin = () => {
    if (++this.pending > this.peak) this.peak = this.pending;
  };
  readonly #end = () => {
    this.pending--;
  };
  start(): void {
    subscribe('undici:client:beforeConnect', this.#begin);
    subscribe('undici:client:connected', this.#end);
    subscribe('undici:client:connectError', this.#end);
  }
  stop(): void {
    unsubscribe('undici:client:beforeConnect', this.#begin);
    unsubscribe('undici:client:connected', this.#end);
    unsubscribe('undici:client:connectError', this.#end);
  }
}

/** The storm's backend: answers after a random 0–6 ms, counts the connections it accepts. */
class StormServer {
  readonly #server: Server;
  accepted = 0;
  port = 0;

  constructor() {
    this.#server = createServer((req, res) => {
      req.resume();
      const timer = setTimeout(() => res.end('ok'), Math.random() * 6);
      res.on('close', () => clearTimeout(timer));
    });
    this.#server.keepAliveTimeout = 60_000;
    this.#server.on('connection', () => this.accepted++);
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  stop(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

async function storm(
  variant: Variant,
  server: StormServer,
  options: StormOptions,
): Promise<StormFigures> {
  const client = variant.open(`http://127.0.0.1:${server.port}`);
  const random = seeded(42);
  const watch = new ConnectWatch();
  // Warm the client (JIT, first pool) with one call, so the heap baseline holds its fixed state.
  await client.call(new AbortController().signal).catch(() => undefined);
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const acceptedBefore = server.accepted;
  let peakFds = openFds();
  const sampler = setInterval(() => {
    const n = openFds();
    if (n > peakFds) peakFds = n;
  }, 2);
  watch.start();
  let issued = 0;
  let answered = 0;
  let aborted = 0;
  const abort = (controller: AbortController) => controller.abort();
  const worker = async () => {
    while (issued < options.calls) {
      issued++;
      const controller = new AbortController();
      const timer = setTimeout(abort, random() * options.abortMs, controller);
      try {
        await client.call(controller.signal);
        answered++;
      } catch {
        aborted++;
      } finally {
        clearTimeout(timer);
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const ms = performance.now() - t0;
  clearInterval(sampler);
  const fdsAfter = openFds();
  if (fdsAfter > peakFds) peakFds = fdsAfter;
  watch.stop();
  await settle();
  gc();
  const heapAfter = process.memoryUsage().heapUsed;
  const connections = server.accepted - acceptedBefore;
  await client.close();
  await settle();
  return {
    variant: variant.name,
    answered,
    aborted,
    connections,
    peakPending: watch.peak,
    peakFds,
    fdsAfter,
    heapDeltaMb: (heapAfter - heapBefore) / 2 ** 20,
    ms,
  };
}

/** Every variant, one after another, against one server. */
export async function abortStorm(options: StormOptions = ISSUE_SCENARIO): Promise<StormFigures[]> {
  const server = await new StormServer().start();
  try {
    const figures: StormFigures[] = [];
    for (const variant of VARIANTS) figures.push(await storm(variant, server, options));
    return figures;
  } finally {
    await server.stop();
  }
}

export function stormTable(figures: readonly StormFigures[]): string {
  const rows = figures.map(
    (f) =>
      `| ${f.variant} | ${f.answered} / ${f.aborted} | ${f.connections} | ${f.peakPending} | ` +
      `${f.peakFds} | ${f.fdsAfter} | ${f.heapDeltaMb >= 0 ? '+' : ''}${f.heapDeltaMb.toFixed(1)} | ` +
      `${(f.ms / 1_000).toFixed(1)} |`,
  );
  return [
    '| variant | answered / aborted | connections opened | peak pending connects | peak open fds | fds after | heap after − before (MB) | time s |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const calls = Number(process.argv[2] ?? ISSUE_SCENARIO.calls);
  const concurrency = Number(process.argv[3] ?? ISSUE_SCENARIO.concurrency);
  const figures = await abortStorm({ calls, concurrency, abortMs: ISSUE_SCENARIO.abortMs });
  console.log(
    `${calls} calls at concurrency ${concurrency}, each aborted at 0–${ISSUE_SCENARIO.abortMs} ms; server answers after 0–6 ms\n`,
  );
  console.log(stormTable(figures));
}
