/**
 * Client CPU per unary call for variants between the raw generated client and createGrpcClient,
 * alternating slices in one process, to put the difference on a part of the path.
 * Run: node --expose-gc --import tsx bench/tools/grpc-variants.ts [concurrency]
 */
import * as grpc from '@grpc/grpc-js';
import { createGrpcClient } from '@outrigger/grpc';
import { Echo, type EchoMessage } from '../../src/grpc/support/protos.js';
import { killGrpcServers, spawnGrpcServer } from '../../src/grpc/support/server-process.js';

const concurrency = Number(process.argv[2] ?? 64);
const PER_SLICE = Number(process.env.PER_SLICE ?? 4_000);
const ROUNDS = Number(process.env.ROUNDS ?? 8);
const MSG: EchoMessage = { text: 'ping', n: 1 };
type Cb = (e: unknown, r?: unknown) => void;
type Variant = (cb: Cb) => void;

const server = await spawnGrpcServer('echo');
const raw = new Echo(
  server.address,
  grpc.credentials.createInsecure(),
) as unknown as grpc.Client & {
  Say(m: EchoMessage, o: grpc.CallOptions | Cb, cb?: Cb): unknown;
};
const generic = new grpc.Client(server.address, grpc.credentials.createInsecure());
const def = (Echo as unknown as grpc.ServiceClientConstructor).service.Say!;
const bytes = def.requestSerialize(MSG);
const identity = (b: Buffer) => b;
const ours = createGrpcClient(Echo, {
  service: 'variants',
  discovery: [server.address],
}) as unknown as {
  Say(m: EchoMessage, cb: Cb): unknown;
  close(): Promise<void>;
};
const bare = createGrpcClient(Echo, {
  service: 'bare',
  discovery: [server.address],
  timeout: false,
  retry: false,
  breaker: false,
  bulkhead: false,
  outlierDetection: false,
}) as unknown as { Say(m: EchoMessage, cb: Cb): unknown; close(): Promise<void> };

const off = {
  timeout: false,
  retry: false,
  breaker: false,
  bulkhead: false,
  outlierDetection: false,
} as const;
function only(name: string, on: Record<string, unknown>) {
  return createGrpcClient(Echo, {
    service: name,
    discovery: [server.address],
    ...off,
    ...on,
  } as never) as unknown as {
    Say(m: EchoMessage, cb: Cb): unknown;
    close(): Promise<void>;
  };
}
const partial = process.argv.includes('--each')
  ? {
      timeout: only('t', { timeout: { totalMs: 10_000 } }),
      retry: only('r', { retry: {} }),
      breaker: only('b', { breaker: {} }),
      bulkhead: only('k', { bulkhead: {} }),
      outlier: only('o', { outlierDetection: {} }),
    }
  : {};
const variants: Record<string, Variant> = {
  raw: (cb) => raw.Say(MSG, cb),
  'raw+deadline': (cb) => raw.Say(MSG, { deadline: Date.now() + 10_000 }, cb),
  'generic+listeners': (cb) => {
    const call = generic.makeUnaryRequest(
      def.path,
      identity,
      def.responseDeserialize,
      bytes,
      new grpc.Metadata(),
      { deadline: Date.now() + 10_000 },
      cb,
    );
    call.on('metadata', () => {});
    call.on('status', () => {});
  },
  'generic+listeners+serialize': (cb) => {
    const call = generic.makeUnaryRequest(
      def.path,
      identity,
      def.responseDeserialize,
      def.requestSerialize(MSG),
      new grpc.Metadata(),
      { deadline: Date.now() + 10_000 },
      cb,
    );
    call.on('metadata', () => {});
    call.on('status', () => {});
  },
  'outrigger-bare': (cb) => bare.Say(MSG, cb),
  outrigger: (cb) => ours.Say(MSG, cb),
  ...Object.fromEntries(
    Object.entries(partial).map(([k, c]) => [`only ${k}`, (cb: Cb) => c.Say(MSG, cb)]),
  ),
};

function slice(v: Variant, total: number): Promise<number> {
  let started = 0;
  let done = 0;
  const cpu = process.cpuUsage();
  return new Promise((resolve, reject) => {
    const one = (): void => {
      started++;
      v((error) => {
        if (error) return reject(error);
        if (++done === total) {
          const used = process.cpuUsage(cpu);
          return resolve((used.user + used.system) / total);
        }
        if (started < total) one();
      });
    };
    for (let i = 0; i < concurrency; i++) one();
  });
}

const pick = process.env.VARIANTS?.split(',');
const names = Object.keys(variants).filter((n) => !pick || pick.includes(n));
for (const n of names) await slice(variants[n]!, 2_000);
const results: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 ? [...names].reverse() : names;
  for (const n of order) {
    globalThis.gc?.();
    results[n]!.push(await slice(variants[n]!, PER_SLICE));
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const n of names) console.log(`${n.padEnd(26)} ${median(results[n]!).toFixed(1)} µs CPU/call`);
raw.close();
generic.close();
await ours.close();
await bare.close();
for (const c of Object.values(partial)) await c.close();
await killGrpcServers();
