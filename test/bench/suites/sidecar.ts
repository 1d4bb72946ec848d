/**
 * The sidecar model against the in-process mesh: the same closed-loop load sent
 * straight to the backend by the raw client, through a local HAProxy hop (the app talking to
 * its sidecar, which talks to the backend), and straight to the backend by Outrigger. The hop's
 * and Outrigger's added p50/p99 and their throughput against the direct raw client, over HTTP/1.1
 * (undici Pool; Outrigger's `createHttpClient`) and gRPC (grpc-js over h2c; `createGrpcClient`).
 * HAProxy comes from apt (installed by the bench when missing), with a config generated here;
 * it is stopped at the end, even on error. Without it, the section says why and measures the rest.
 */
import * as grpc from '@grpc/grpc-js';
import { createGrpcClient } from '@outrigger/grpc';
import { createHttpClient } from '@outrigger/http';
import { Pool } from 'undici';
import { Echo, type EchoMessage } from '../../src/grpc/support/protos.js';
import { spawnGrpcServer } from '../../src/grpc/support/server-process.js';
import { fmt } from '../lib/stats.js';
import type { BenchSuite } from '../lib/suite.js';
import { field, measureGroup, paired } from './comparisons/closed-loop.js';
import { type Haproxy, haproxyVersion, startHaproxy } from './comparisons/haproxy.js';
import { versionsLine } from './comparisons/versions.js';
import type { Call, Slice } from './http/load.js';
import { startBackend } from './http/server.js';

const CONCURRENCY = [1, 64];
const ROUNDS = 12;
const SLICE_MS = 200;
const WARMUP_MS = 400;
const MESSAGE: EchoMessage = { text: 'ping', n: 1 };

const DIRECT = 'direct';
const HOP = 'through HAProxy';
const OURS = 'Outrigger in-process';

type Results = Map<number, Record<string, Slice[]>>;

interface Protocol {
  readonly title: string;
  readonly raw: string;
  readonly ours: string;
  readonly results: Results;
}

async function measureAll(variants: Record<string, Call>): Promise<Results> {
  const results: Results = new Map();
  for (const concurrency of CONCURRENCY) {
    results.set(
      concurrency,
      await measureGroup(variants, {
        concurrency,
        rounds: ROUNDS,
        sliceMs: SLICE_MS,
        warmupMs: WARMUP_MS,
      }),
    );
  }
  return results;
}

async function http(hop: boolean): Promise<Results> {
  const backend = await startBackend();
  let proxy: Haproxy | undefined;
  const pools: Pool[] = [];
  let client: ReturnType<typeof createHttpClient> | undefined;
  try {
    const direct = new Pool(`http://127.0.0.1:${backend.port}`);
    pools.push(direct);
    client = createHttpClient({ service: 'bench', discovery: [`127.0.0.1:${backend.port}`] });
    const ours = client;
    const variants: Record<string, Call> = {
      [DIRECT]: async () => {
        const res = await direct.request({ path: '/', method: 'GET' });
        await res.body.text();
      },
      [OURS]: async () => {
        const res = await ours.request('/');
        await res.body.text();
      },
    };
    if (hop) {
      proxy = await startHaproxy({ servers: [backend.port] });
      const viaProxy = new Pool(`http://127.0.0.1:${proxy.port}`);
      pools.push(viaProxy);
      variants[HOP] = async () => {
        const res = await viaProxy.request({ path: '/', method: 'GET' });
        await res.body.text();
      };
    }
    return await measureAll(variants);
  } finally {
    await client?.close();
    await Promise.all(pools.map((p) => p.close()));
    await proxy?.stop();
    await backend.stop();
  }
}

type Say = (m: EchoMessage, cb: (error: grpc.ServiceError | null) => void) => void;
const sayOn = (client: unknown): Call => {
  const say = (client as { Say: Say }).Say.bind(client);
  return () =>
    new Promise<void>((resolve, reject) => say(MESSAGE, (e) => (e ? reject(e) : resolve())));
};

async function grpcCalls(hop: boolean): Promise<Results> {
  const server = await spawnGrpcServer('echo');
  let proxy: Haproxy | undefined;
  const closers: Array<() => unknown> = [];
  try {
    const direct = new Echo(server.address, grpc.credentials.createInsecure());
    closers.push(() => direct.close());
    const ours = createGrpcClient(Echo, { service: 'bench', discovery: [server.address] });
    closers.push(() => (ours as unknown as { close(): unknown }).close());
    const variants: Record<string, Call> = { [DIRECT]: sayOn(direct), [OURS]: sayOn(ours) };
    if (hop) {
      proxy = await startHaproxy({ servers: [server.port], h2: true });
      const viaProxy = new Echo(`127.0.0.1:${proxy.port}`, grpc.credentials.createInsecure());
      closers.push(() => viaProxy.close());
      variants[HOP] = sayOn(viaProxy);
    }
    return await measureAll(variants);
  } finally {
    for (const close of closers) await close();
    await proxy?.stop();
    await server.kill('SIGTERM');
  }
}

const suite: BenchSuite = {
  name: 'sidecar',
  title: 'The sidecar model: a local HAProxy hop vs Outrigger in-process (HTTP and gRPC)',
  async run() {
    const { version, unavailable } = haproxyVersion();
    let whyNot = unavailable;
    const protocols: Protocol[] = [];
    const measureProtocol = async (
      title: string,
      raw: string,
      ours: string,
      f: (hop: boolean) => Promise<Results>,
    ) => {
      let results: Results;
      try {
        results = await f(!whyNot);
      } catch (error) {
        // HAProxy failing to start must not cost the rest of the section.
        if (whyNot) throw error;
        whyNot = `HAProxy failed: ${(error as Error).message}`;
        results = await f(false);
      }
      protocols.push({ title, raw, ours, results });
    };
    await measureProtocol('HTTP/1.1', 'undici Pool', 'createHttpClient', http);
    await measureProtocol('gRPC (h2c)', 'grpc-js client', 'createGrpcClient', grpcCalls);
    return report(protocols, version, whyNot);
  },
};

function report(
  protocols: readonly Protocol[],
  haproxy: string | undefined,
  whyNot: string | undefined,
): string {
  const lines = [
    '## The sidecar model: HAProxy hop vs Outrigger in-process',
    '',
    'The same closed-loop load three ways: the raw client straight to the backend (**direct**), the',
    'raw client through a local HAProxy that forwards to the backend (**through HAProxy**: the app',
    'talking to its sidecar), and Outrigger straight to the backend with its default chain',
    '(deadline, budgeted retry, breaker, bulkhead, P2C-EWMA, outlier detection; **Outrigger',
    `in-process**). The backend runs in a child process; ${ROUNDS} rounds of ~${SLICE_MS} ms slices per variant after a`,
    `${WARMUP_MS} ms warm-up, the order rotating every round. "Added" figures are per-round differences`,
    '(or ratios) against the direct raw client in the same round: median (min–max) over rounds.',
    '',
    '- HTTP/1.1: `node:http` keep-alive backend answering `ok`; raw client an undici `Pool`,',
    '  HAProxy `mode http`, `option http-keep-alive`, `http-reuse always`, one thread.',
    '- gRPC: grpc-js Echo server (`Say`, 6-byte message); raw client the grpc-js generated client',
    '  (one channel, no deadline); HAProxy `mode http` with `proto h2` on the bind and the server (h2c).',
    `- Versions: ${versionsLine(['undici', '@grpc/grpc-js'], haproxy)}`,
    '',
  ];
  if (whyNot) lines.push(`**HAProxy unavailable: ${whyNot}.** The hop rows are left out.`, '');
  for (const p of protocols) {
    lines.push(
      `### ${p.title}`,
      '',
      '| variant | concurrency | req/s | p50 µs | p99 µs |',
      '|---|---|---|---|---|',
    );
    const label = (name: string) => (name === OURS ? `${p.ours} (${name})` : `${p.raw} ${name}`);
    for (const [c, samples] of p.results) {
      for (const [name, s] of Object.entries(samples)) {
        lines.push(
          `| ${label(name)} | ${c} | ${fmt(field(s, 'rps'), 0)} | ${fmt(field(s, 'p50'), 0)} | ${fmt(field(s, 'p99'), 0)} |`,
        );
      }
    }
    lines.push(
      '',
      '| added over direct | c | p50 µs | p99 µs | throughput / direct |',
      '|---|---|---|---|---|',
    );
    for (const [c, samples] of p.results) {
      const base = samples[DIRECT]!;
      for (const name of [HOP, OURS]) {
        const s = samples[name];
        if (!s) continue;
        lines.push(
          `| ${name} | ${c} | ${fmt(
            paired(s, base, (x, y) => x.p50 - y.p50),
            0,
          )} | ${fmt(
            paired(s, base, (x, y) => x.p99 - y.p99),
            0,
          )} | ${fmt(
            paired(s, base, (x, y) => x.rps / y.rps),
            3,
          )} |`,
        );
      }
    }
    lines.push('');
  }
  lines.push(...targets(protocols));
  return lines.join('\n');
}

function targets(protocols: readonly Protocol[]): string[] {
  const [httpP, grpcP] = protocols;
  const rows: string[] = [
    '### Against the targets',
    '',
    '| measure | value | target | met |',
    '|---|---|---|---|',
  ];
  const judge = (value: number, ok: boolean) =>
    Number.isNaN(value) ? '—' : ok ? 'met' : 'not met';
  if (httpP) {
    const c1 = httpP.results.get(1)!;
    const added = paired(c1[OURS]!, c1[DIRECT]!, (x, y) => x.p50 - y.p50);
    rows.push(
      `| HTTP: Outrigger p50 added, c=1 (µs) | ${fmt(added, 1)} | <= 20 | ${judge(added.median, added.median <= 20)} |`,
    );
    if (c1[HOP]) {
      const hop = paired(c1[HOP]!, c1[DIRECT]!, (x, y) => x.p50 - y.p50);
      rows.push(
        `| HTTP: HAProxy hop p50 added, c=1 (µs) | ${fmt(hop, 1)} | (reference: ~70) | — |`,
      );
    }
    const c64 = httpP.results.get(64)!;
    const tput = paired(c64[OURS]!, c64[DIRECT]!, (x, y) => x.rps / y.rps);
    rows.push(
      `| HTTP: Outrigger / direct throughput, c=64 | ${fmt(tput, 3)} | >= 0.90 | ${judge(tput.median, tput.median >= 0.9)} |`,
    );
    if (c64[HOP]) {
      const hop = paired(c64[HOP]!, c64[DIRECT]!, (x, y) => x.rps / y.rps);
      rows.push(
        `| HTTP: HAProxy hop / direct throughput, c=64 | ${fmt(hop, 3)} | (reference: ~0.5) | — |`,
      );
    }
  }
  if (grpcP) {
    const c64 = grpcP.results.get(64)!;
    const tput = paired(c64[OURS]!, c64[DIRECT]!, (x, y) => x.rps / y.rps);
    rows.push(
      `| gRPC: Outrigger / direct throughput, c=64 | ${fmt(tput, 3)} | >= 0.95 | ${judge(tput.median, tput.median >= 0.95)} |`,
    );
    if (c64[HOP]) {
      const hop = paired(c64[HOP]!, c64[DIRECT]!, (x, y) => x.rps / y.rps);
      rows.push(
        `| gRPC: HAProxy hop / direct throughput, c=64 | ${fmt(hop, 3)} | (reference) | — |`,
      );
    }
  }
  rows.push(
    '',
    'The HTTP and gRPC suites above measure the same clients with more rounds; this section puts',
    'the hop beside them. A sidecar also costs its own CPU (HAProxy here shares the two cores',
    "with the client and the backend); Outrigger's cost is in the client process, measured above.",
  );
  return rows;
}

export default suite;
