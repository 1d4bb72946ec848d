/**
 * gRPC client overhead on loopback: unary calls through grpc-js's generated client (one
 * channel, callback API) against the same calls through a second client given by
 * `makeOutriggerClient`, both on the Echo service's `Say` served by a child process (so this
 * process's CPU is the client's alone). One process alternates short slices between the two,
 * each first in every other round, so drift falls on both alike; the ratio is taken per round.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { createGrpcClient } from '@outrigger/grpc';
import { Echo, type EchoMessage } from '../../src/grpc/support/protos.js';
import { spawnGrpcServer } from '../../src/grpc/support/server-process.js';
import { fmt, type Stats, stats } from '../lib/stats.js';
import type { BenchSuite } from '../lib/suite.js';
import { type Call, runSlice, type Slice } from './http/load.js';

const CONCURRENCY = [1, 64];
/** Even, so each variant runs first in half the rounds. */
const ROUNDS = 48;
const SLICE_MS = 250;
/** Warm-up per variant: JIT, and the channel connected before anything is measured. */
const WARMUP_MS = 500;
const MESSAGE: EchoMessage = { text: 'ping', n: 1 };

export interface BenchClient {
  // biome-ignore lint/suspicious/noExplicitAny: a generated client's methods are untyped
  readonly client: any;
  close(): Promise<void> | void;
  /** The variant's name in the tables. */
  readonly label: string;
}

function rawClient(Ctor: grpc.ServiceClientConstructor, address: string): BenchClient {
  const client = new Ctor(address, grpc.credentials.createInsecure());
  return { client, close: () => client.close(), label: 'grpc-js client' };
}

/** The variant compared with the raw client: Outrigger with default policies, same callback API. */
export function makeOutriggerClient(
  Ctor: grpc.ServiceClientConstructor,
  address: string,
): BenchClient {
  const client = createGrpcClient(Ctor, { service: 'bench', discovery: [address] });
  return { client, close: () => client.close(), label: 'createGrpcClient (default policies)' };
}

/** A unary `Say` through the callback API, as a promise for the load loop. */
const say =
  (b: BenchClient): Call =>
  () =>
    new Promise((resolve, reject) =>
      b.client.Say(MESSAGE, (err: grpc.ServiceError | null, res: EchoMessage) =>
        err ? reject(err) : resolve(res),
      ),
    );

/** The raw client with the deadline Outrigger's default chain sends (10 s): what a deadline costs grpc-js. */
const sayWithDeadline =
  (b: BenchClient): Call =>
  () =>
    new Promise((resolve, reject) =>
      b.client.Say(
        MESSAGE,
        { deadline: Date.now() + 10_000 },
        (err: grpc.ServiceError | null, res: EchoMessage) => (err ? reject(err) : resolve(res)),
      ),
    );

async function measure(calls: readonly Call[], concurrency: number): Promise<Slice[][]> {
  (globalThis as { gc?: () => void }).gc?.();
  const ops: number[] = [];
  for (const call of calls) {
    let warm = await runSlice(call, concurrency, Math.max(300, concurrency * 20));
    warm = await runSlice(call, concurrency, Math.round((warm.rps * WARMUP_MS) / 1_000));
    ops.push(Math.max(concurrency * 4, Math.round((warm.rps * SLICE_MS) / 1_000)));
  }
  const samples: Slice[][] = calls.map(() => []);
  const order = calls.map((_, i) => i);
  for (let round = 0; round < ROUNDS; round++) {
    // Each variant goes first in some rounds: the order rotates every round.
    for (let k = 0; k < order.length; k++) {
      const i = order[(k + round) % order.length]!;
      samples[i]!.push(await runSlice(calls[i]!, concurrency, ops[i]!));
    }
  }
  return samples;
}

const ONE_CLIENT = fileURLToPath(new URL('./grpc/one-client.ts', import.meta.url));
/** Rounds of the process-per-slice measurement, and calls per slice (~2 s each at c=64). */
const PROCESS_ROUNDS = 6;
const PROCESS_CALLS = 12_000;

interface ProcessSlice {
  rps: number;
  cpu: number;
}

/** Each client alone in a fresh process per slice, alternating which goes first. */
async function measureApart(address: string, concurrency: number): Promise<ProcessSlice[][]> {
  const run = promisify(execFile);
  const samples: ProcessSlice[][] = [[], []];
  const variants = ['raw', 'outrigger'] as const;
  for (let round = 0; round < PROCESS_ROUNDS; round++) {
    for (const i of round % 2 === 0 ? [0, 1] : [1, 0]) {
      const { stdout } = await run(process.execPath, [
        '--import',
        'tsx',
        ONE_CLIENT,
        variants[i]!,
        address,
        String(concurrency),
        String(PROCESS_CALLS),
      ]);
      samples[i]!.push(JSON.parse(stdout.trim().split('\n').pop()!) as ProcessSlice);
    }
  }
  return samples;
}

const field = (s: Slice[], key: keyof Slice): Stats => stats(s.map((x) => x[key]));
/** Per-round pairs (same round, so the same drift), combined: median and min–max over rounds. */
const paired = (a: Slice[], b: Slice[], f: (x: Slice, y: Slice) => number): Stats =>
  stats(a.map((x, i) => f(x, b[i]!)));

const suite: BenchSuite = {
  name: 'grpc',
  title: 'gRPC unary on loopback: createGrpcClient vs the grpc-js generated client',
  async run() {
    const server = await spawnGrpcServer('echo');
    const raw = rawClient(Echo, server.address);
    const variant = makeOutriggerClient(Echo, server.address);
    const results = new Map<number, Slice[][]>();
    let apart: ProcessSlice[][];
    try {
      for (const c of CONCURRENCY) {
        results.set(c, await measure([say(raw), say(variant), sayWithDeadline(raw)], c));
      }
      apart = await measureApart(server.address, 64);
    } finally {
      await raw.close();
      await variant.close();
      await server.kill('SIGTERM');
    }
    return report(results, raw.label, variant, apart);
  },
};

function report(
  all: Map<number, Slice[][]>,
  rawLabel: string,
  variant: BenchClient,
  apart: ProcessSlice[][],
): string {
  const lines = [
    '## gRPC unary on loopback',
    '',
    'Closed-loop unary calls (`Echo/Say`, a 6-byte message) from one process against a grpc-js',
    `server in a child process, ${ROUNDS} rounds of ~${SLICE_MS} ms slices per variant after a`,
    `${WARMUP_MS} ms warm-up, the variants rotating which goes first. The grpc-js client is`,
    'generated by proto-loader, one channel, callback API, no deadline; the third row is the same',
    "client sending the 10 s deadline Outrigger's default chain sends, so that grpc-js's own cost",
    'of a deadline (a timer per call on both sides, the grpc-timeout header) is told apart from',
    "the chain's. Figures: median (min–max) over slices, ratios per round; CPU is the client",
    "process's user + system time per call (GC threads included).",
    '',
  ];
  const withDeadline = `${rawLabel} + 10 s deadline`;
  for (const [c, [a, b, d]] of all) {
    lines.push(
      `### Concurrency ${c}`,
      '',
      '| variant | calls/s | p50 µs | p99 µs | client CPU µs/call |',
      '|---|---|---|---|---|',
    );
    for (const [name, s] of [
      [rawLabel, a!],
      [variant.label, b!],
      [withDeadline, d!],
    ] as const) {
      lines.push(
        `| ${name} | ${fmt(field(s, 'rps'), 0)} | ${fmt(field(s, 'p50'), 0)} | ${fmt(field(s, 'p99'), 0)} | ${fmt(field(s, 'cpu'), 1)} |`,
      );
    }
    lines.push('');
  }
  lines.push('### Against the targets', '', '| measure | value | target |', '|---|---|---|');
  for (const [c, [a, b, d]] of all) {
    lines.push(
      `| ${variant.label} / ${rawLabel} throughput, c=${c} | ${fmt(
        paired(b!, a!, (x, y) => x.rps / y.rps),
        3,
      )} | ${c === 64 ? '>= 0.95' : '(informative)'} |`,
      `| ${variant.label} p50 added, c=${c} (µs) | ${fmt(
        paired(b!, a!, (x, y) => x.p50 - y.p50),
        1,
      )} | (informative) |`,
      `| ${withDeadline} / ${rawLabel} throughput, c=${c} | ${fmt(
        paired(d!, a!, (x, y) => x.rps / y.rps),
        3,
      )} | (what the deadline alone costs grpc-js) |`,
      `| ${variant.label} / ${withDeadline} throughput, c=${c} | ${fmt(
        paired(b!, d!, (x, y) => x.rps / y.rps),
        3,
      )} | (the chain beyond the deadline) |`,
      `| ${variant.label} client CPU added, c=${c} (µs/call) | ${fmt(
        paired(b!, a!, (x, y) => x.cpu - y.cpu),
        1,
      )} | (informative) |`,
    );
  }
  const [rawApart, oursApart] = apart as [ProcessSlice[], ProcessSlice[]];
  const ratioApart = stats(oursApart.map((x, i) => x.rps / rawApart[i]!.rps));
  lines.push(
    `| ${variant.label} / ${rawLabel} throughput, c=64, each client alone in its process | ${fmt(ratioApart, 3)} | (see below) |`,
    '',
    '### Each client alone in its process',
    '',
    `The same load at c=64, but each slice a fresh process running one client only`,
    `(\`bench/suites/grpc/one-client.ts\`, ${PROCESS_CALLS} calls after a warm-up, ${PROCESS_ROUNDS} rounds`,
    'alternating which goes first; the raw client without a deadline). In one process the two',
    "clients share grpc-js's compiled code and one heap; here each runs alone, as in a service",
    'that uses one of them.',
    '',
    '| variant | calls/s | client CPU µs/call |',
    '|---|---|---|',
    `| ${rawLabel} | ${fmt(stats(rawApart.map((x) => x.rps)), 0)} | ${fmt(stats(rawApart.map((x) => x.cpu)), 1)} |`,
    `| ${variant.label} | ${fmt(stats(oursApart.map((x) => x.rps)), 0)} | ${fmt(stats(oursApart.map((x) => x.cpu)), 1)} |`,
  );
  return lines.join('\n');
}

export default suite;
