/**
 * The client's own cost per request, without the kernel, the server or the other core: raw
 * `undici` (a `Pool` capped at 64 connections, as in the harness shape) and Outrigger's
 * `request` over the same in-memory sockets. `net.connect` is replaced, for this process only,
 * by a socket that answers every request it is written with `200 ok` on the next turn of the
 * loop, so both clients run undici's real connection, parser and timers, and nothing else.
 *
 * On loopback this machine's CPU speed swings between runs (a 2-core VM); here every Outrigger
 * slice is paired with a raw slice of the same round (alternating order), and the median of the
 * paired differences is reported, which that swing mostly cancels. Variants switch one factor:
 * the deadline, then every policy the options can switch off.
 * With `--pollute <bytes>`, the in-memory peer reads that many bytes of a buffer of its own
 * before each batch of answers, as the kernel's work between requests does on loopback: what
 * the client's per-call cost becomes once its long-lived state has left the CPU's caches.
 * With `--syscalls <k>`, the peer makes `k` cheap system calls (getuid) before each answer, as a
 * loopback client makes a few per request (read, write, epoll): where the kernel isolates its
 * page tables and the CPU has no PCID (BENCHMARKS.md's header says which), each entry into the
 * kernel also empties the TLB.
 * Run: node --import tsx bench/tools/http-inprocess.ts [rounds] [--pollute bytes] [--syscalls k]
 */
import net from 'node:net';
import { Duplex } from 'node:stream';
import { createHttpClient, type HttpClientOptions } from '@outrigger/http';
import { Pool } from 'undici';
import { heapPerCall } from '../lib/heap.js';
import { percentile, stats } from '../lib/stats.js';
import { type Call, runSlice } from '../suites/http/load.js';

const median = (xs: readonly number[]): number => stats(xs).median;

const ROUNDS = process.argv[2]?.startsWith('--') ? 40 : Number(process.argv[2] ?? 40);

/** The whole number after `flag`, 0 when the flag is absent; anything else stops the tool. */
function countAfter(flag: string): number {
  const at = process.argv.indexOf(flag);
  if (at < 0) return 0;
  const value = Number(process.argv[at + 1]);
  if (Number.isInteger(value) && value >= 0) return value;
  console.error(`${flag} ${process.argv[at + 1]}: give a whole number (0 or more)`);
  process.exit(2);
}

const POLLUTE = countAfter('--pollute');
/** Read one byte per cache line of it before each batch of answers (`--pollute`). */
const pollution = new Uint8Array(POLLUTE);
/** What the reads add up to, printed so that the compiler cannot drop them. */
let pollutionSum = 0;
const SYSCALLS = countAfter('--syscalls');
/** A system call that does nothing else: the kernel entry alone (`--syscalls`). */
const getuid = process.getuid;
if (SYSCALLS > 0 && getuid === undefined) {
  console.error('--syscalls needs process.getuid (Linux, macOS)');
  process.exit(2);
}
const PER_SLICE = 5_000;
const CONCURRENCY = 64;
const PORT = 1;
const RESPONSE = Buffer.from(
  'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok',
);

/** A connected socket whose peer answers each request head (GETs, no body) on the next turn. */
class AnsweringSocket extends Duplex {
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = PORT;
  readonly localAddress = '127.0.0.1';
  readonly localPort = 2;
  #unanswered = 0;
  #armed = false;
  #partial = '';

  constructor() {
    super();
    queueMicrotask(() => this.emit('connect'));
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  override _read(): void {}
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    const text = this.#partial + chunk.toString('latin1');
    let from = 0;
    for (let end = text.indexOf('\r\n\r\n'); end >= 0; end = text.indexOf('\r\n\r\n', from)) {
      this.#unanswered++;
      from = end + 4;
    }
    this.#partial = text.slice(from);
    if (this.#unanswered > 0 && !this.#armed) {
      this.#armed = true;
      setImmediate(this.#answer);
    }
    done();
  }
  readonly #answer = (): void => {
    for (let i = 0; i < POLLUTE; i += 64) pollutionSum += pollution[i]!;
    this.#armed = false;
    const n = this.#unanswered;
    this.#unanswered = 0;
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < SYSCALLS; k++) getuid!();
      this.push(RESPONSE);
    }
  };
}

const realConnect = net.connect;
(net as { connect: unknown }).connect = (options: net.NetConnectOpts, ...rest: unknown[]) =>
  Number((options as { port?: number | string }).port) === PORT
    ? new AnsweringSocket()
    : (realConnect as (...args: unknown[]) => net.Socket)(options, ...rest);

const address = `127.0.0.1:${PORT}`;
const raw = new Pool(`http://${address}`, { connections: 64 });
const variants: Record<string, Partial<HttpClientOptions>> = {
  'outrigger request': {},
  'deadline off': { timeout: false },
  'policies off': {
    timeout: false,
    retry: false,
    breaker: false,
    bulkhead: false,
    outlierDetection: false,
    telemetry: false,
    hedge: false,
  },
};
const clients = Object.entries(variants).map(([name, options]) => ({
  name,
  client: createHttpClient({
    service: 'inprocess',
    discovery: [address],
    timeout: { totalMs: 5_000 },
    ...options,
  }),
}));

const calls: { name: string; call: Call }[] = [
  {
    name: 'undici Pool',
    call: async () => {
      const res = await raw.request({ path: '/', method: 'GET' });
      await res.body.text();
    },
  },
  ...clients.map(({ name, client }) => ({
    name,
    call: async () => {
      const res = await client.request('/');
      await res.body.text();
    },
  })),
];

/** Client CPU (all threads, GC included) per request over `n` requests by 64 callers. */
async function cpuPerRequest(call: Call, n: number): Promise<number> {
  return (await runSlice(call, CONCURRENCY, n)).cpu;
}

for (const { call } of calls) await cpuPerRequest(call, 30_000);
const cpu = calls.map(() => [] as number[]);
for (let round = 0; round < ROUNDS; round++) {
  const order = calls.map((_, i) => i);
  if (round % 2 === 1) order.reverse();
  for (const i of order) cpu[i]!.push(await cpuPerRequest(calls[i]!.call, PER_SLICE));
}

console.log(
  `${CONCURRENCY} callers, ${ROUNDS} rounds of ${PER_SLICE} requests each, in-memory sockets` +
    (POLLUTE > 0 ? `, ${POLLUTE} bytes read before each batch (sum ${pollutionSum})` : '') +
    (SYSCALLS > 0 ? `, ${SYSCALLS} system calls before each answer` : ''),
);
console.log(
  'client                  CPU µs/req   over raw (paired median, q1–q3)   allocated B/req',
);
for (let i = 0; i < calls.length; i++) {
  const diffs = cpu[i]!.map((x, r) => x - cpu[0]![r]!).sort((a, b) => a - b);
  const over =
    i === 0
      ? '—'
      : `+${median(diffs).toFixed(2)} (${percentile(diffs, 25).toFixed(2)}–${percentile(diffs, 75).toFixed(2)})`;
  const heap = (await heapPerCall(calls[i]!.call, 5_000, 3)).median.toFixed(0);
  console.log(
    `${calls[i]!.name.padEnd(22)}  ${median(cpu[i]!).toFixed(2).padStart(10)}   ${over.padEnd(32)}  ${heap.padStart(10)}`,
  );
}
for (const { client } of clients) await client.close();
await raw.close();
