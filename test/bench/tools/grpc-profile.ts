/**
 * Where the client's CPU goes per unary call: the raw generated client and `createGrpcClient`,
 * each slice under V8's sampling profiler, alternating, against an Echo server in a child
 * process. Self time per call by function, the largest differences first.
 * Run: node --import tsx bench/tools/grpc-profile.ts [concurrency] [--top N] [--raw-deadline]
 */
import { Session } from 'node:inspector/promises';
import * as grpc from '@grpc/grpc-js';
import { createGrpcClient } from '@outrigger/grpc';
import { Echo, type EchoMessage } from '../../src/grpc/support/protos.js';
import { killGrpcServers, spawnGrpcServer } from '../../src/grpc/support/server-process.js';

const concurrency = Number(process.argv[2] ?? 64);
const topIndex = process.argv.indexOf('--top');
const TOP = topIndex > 0 ? Number(process.argv[topIndex + 1]) : 30;
const ROUNDS = 6;
const PER_SLICE = 5_000;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

type SayClient = {
  Say(m: EchoMessage, cb: (e: unknown, r?: EchoMessage) => void): unknown;
  Say(m: EchoMessage, o: grpc.CallOptions, cb: (e: unknown, r?: EchoMessage) => void): unknown;
};

/** `--raw-deadline`: the raw client sends the same 10 s deadline Outrigger's default chain does. */
const rawDeadline = process.argv.includes('--raw-deadline');

const MSG: EchoMessage = { text: 'ping', n: 1 };

function load(client: SayClient, total: number): Promise<void> {
  let started = 0;
  let done = 0;
  return new Promise((resolve, reject) => {
    const one = (): void => {
      started++;
      const cb = (error: unknown) => {
        if (error) return reject(error);
        if (++done === total) return resolve();
        if (started < total) one();
      };
      if (rawDeadline && client === raw) client.Say(MSG, { deadline: Date.now() + 10_000 }, cb);
      else client.Say(MSG, cb);
    };
    for (let i = 0; i < concurrency; i++) one();
  });
}

function selfTimes(profile: Profile, into: Map<string, number>): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!)!;
    const f = node.callFrame;
    const where = f.url.replace(/^.*node_modules\//, '').replace(/^.*packages\//, '');
    const key = `${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`;
    into.set(key, (into.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
}

const server = await spawnGrpcServer('echo');
const raw = new Echo(server.address, grpc.credentials.createInsecure()) as unknown as SayClient;
/** `--bare`: Outrigger with every policy that can be off switched off (balancer and facade only). */
const bareOptions = process.argv.includes('--bare')
  ? { timeout: false, retry: false, breaker: false, bulkhead: false, outlierDetection: false }
  : {};
const ours = createGrpcClient(Echo, {
  service: 'profile',
  discovery: [server.address],
  ...bareOptions,
} as never) as unknown as SayClient;
await load(raw, 2_000);
await load(ours, 2_000);
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 50 });
const totals = { raw: new Map<string, number>(), ours: new Map<string, number>() };
for (let r = 0; r < ROUNDS; r++) {
  for (const name of r % 2 ? (['ours', 'raw'] as const) : (['raw', 'ours'] as const)) {
    await session.post('Profiler.start');
    await load(name === 'raw' ? raw : ours, PER_SLICE);
    const { profile } = (await session.post('Profiler.stop')) as { profile: Profile };
    selfTimes(profile, totals[name]);
  }
}
const calls = ROUNDS * PER_SLICE;
const keys = new Set([...totals.raw.keys(), ...totals.ours.keys()]);
const rows = [...keys].map((k) => {
  const a = (totals.raw.get(k) ?? 0) / calls;
  const b = (totals.ours.get(k) ?? 0) / calls;
  return { k, a, b, d: b - a };
});
const sum = (m: Map<string, number>) => [...m.values()].reduce((x, y) => x + y, 0) / calls;
console.log(
  `concurrency ${concurrency}, µs/call: raw ${sum(totals.raw).toFixed(1)}, ours ${sum(totals.ours).toFixed(1)}`,
);
rows.sort((x, y) => Math.abs(y.d) - Math.abs(x.d));
for (const row of rows.slice(0, TOP)) {
  console.log(`${row.a.toFixed(2)}\t${row.b.toFixed(2)}\t${row.d.toFixed(2)}\t${row.k}`);
}
(raw as unknown as grpc.Client).close();
await (ours as unknown as { close(): Promise<void> }).close();
await killGrpcServers();
