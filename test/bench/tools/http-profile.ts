/**
 * Where the client's CPU goes per request on real loopback sockets: raw `undici.request` and
 * Outrigger's `request` against the bench backend, each slice under V8's sampling CPU profiler,
 * alternating. Self time is grouped by where the code lives (undici, Outrigger's packages, Node's
 * internals, native, the garbage collector) and reported per request, so a difference between
 * the two clients can be put on a part of the stack. The profiler itself slows everything by a
 * similar factor, so compare the columns, not the absolute figures with the loopback bench.
 * Run: node --expose-gc --import tsx bench/tools/http-profile.ts [concurrency] [--top N]
 * With `--telemetry`, compares Outrigger with telemetry off against Outrigger with an
 * OpenTelemetry SDK (always-on sampler, a batch processor dropping spans, a meter provider,
 * the W3C propagator) instead.
 */
import { Session } from 'node:inspector/promises';
import { propagation } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { createHttpClient } from '@outrigger/http';
import { Pool } from 'undici';
import { runSlice } from '../suites/http/load.js';
import { startBackend } from '../suites/http/server.js';

const concurrency = Number(process.argv[2] ?? 16);
const topIndex = process.argv.indexOf('--top');
const TOP = topIndex > 0 ? Number(process.argv[topIndex + 1]) : 25;
const ROUNDS = 8;
const PER_SLICE = 20_000;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function group(url: string, name: string): string {
  if (url === '') {
    if (name.startsWith('(')) return name;
    return '(native)';
  }
  if (url.includes('/undici/')) return 'undici';
  if (url.includes('@opentelemetry/'))
    return url.replace(/^.*node_modules\/(@opentelemetry\/[^/]+).*$/, '$1');
  if (url.includes('packages/core')) return 'outrigger core';
  if (url.includes('packages/http')) return 'outrigger http';
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/bench/')) return 'bench loop';
  return 'other';
}

type Tally = Map<string, number>;

function tally(profile: Profile, byGroup: Tally, byFunction: Tally): void {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  for (let i = 0; i < profile.samples.length; i++) {
    const node = nodes.get(profile.samples[i]!)!;
    const dt = profile.timeDeltas[i] ?? 0;
    const { url, functionName, lineNumber } = node.callFrame;
    const g = group(url, functionName);
    byGroup.set(g, (byGroup.get(g) ?? 0) + dt);
    const short = url.replace(/^.*\/(node_modules|packages)\//, '');
    const key = `${g} | ${functionName || '(anonymous)'} ${short}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + dt);
  }
}

const backend = await startBackend();
const origin = `http://127.0.0.1:${backend.port}`;
const raw = new Pool(origin, { connections: 64 });
const client = createHttpClient({
  service: 'bench',
  discovery: [`127.0.0.1:${backend.port}`],
  timeout: { totalMs: 5_000 },
  ...(process.argv.includes('--telemetry') ? { telemetry: false } : {}),
  ...JSON.parse(process.env.OPTS ?? '{}'),
});
const dropAll: SpanExporter = { export: (_s, done) => done({ code: 0 }), shutdown: async () => {} };
const telemetry = process.argv.includes('--telemetry');
if (telemetry) propagation.setGlobalPropagator(new W3CTraceContextPropagator());
const second = telemetry
  ? createHttpClient({
      service: 'bench',
      discovery: [`127.0.0.1:${backend.port}`],
      timeout: { totalMs: 5_000 },
      tracerProvider: new BasicTracerProvider({
        sampler: new AlwaysOnSampler(),
        spanProcessors: [new BatchSpanProcessor(dropAll)],
      }),
      meterProvider: new MeterProvider(),
    })
  : undefined;
const variants: Record<string, () => Promise<unknown>> = telemetry
  ? {
      'telemetry off': async () => {
        const res = await client.request('/');
        await res.body.text();
      },
      'with SDK': async () => {
        const res = await second!.request('/');
        await res.body.text();
      },
    }
  : {
      'undici.request': async () => {
        const res = await raw.request({ path: '/', method: 'GET' });
        await res.body.text();
      },
      'outrigger request': async () => {
        const res = await client.request('/');
        await res.body.text();
      },
    };
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 50 });

const groups: Record<string, Tally> = {};
const functions: Record<string, Tally> = {};
const requests: Record<string, number> = {};
const wall: Record<string, number> = {};
for (const name of Object.keys(variants)) {
  groups[name] = new Map();
  functions[name] = new Map();
  requests[name] = 0;
  wall[name] = 0;
  await runSlice(variants[name]!, concurrency, PER_SLICE);
}
for (let round = 0; round < ROUNDS; round++) {
  const names = Object.keys(variants);
  for (const name of round % 2 === 0 ? names : names.reverse()) {
    (globalThis as { gc?: () => void }).gc?.();
    await session.post('Profiler.start');
    const t0 = performance.now();
    await runSlice(variants[name]!, concurrency, PER_SLICE);
    wall[name]! += performance.now() - t0;
    const { profile } = (await session.post('Profiler.stop')) as { profile: Profile };
    tally(profile, groups[name]!, functions[name]!);
    requests[name]! += PER_SLICE;
  }
}
await session.post('Profiler.disable');
session.disconnect();
await client.close();
await second?.close();
await raw.close();
await backend.stop();

const names = Object.keys(variants);
const perRequest = (name: string, us: number) => us / requests[name]!;
const allGroups = new Set(names.flatMap((n) => [...groups[n]!.keys()]));
console.log(
  `concurrency ${concurrency}, ${ROUNDS} slices of ${PER_SLICE} requests each, µs/request`,
);
console.log(['group', ...names, 'difference'].join('\t'));
const rows = [...allGroups].map((g) => {
  const values = names.map((n) => perRequest(n, groups[n]!.get(g) ?? 0));
  return { g, values, diff: values[1]! - values[0]! };
});
rows.sort((a, b) => b.diff - a.diff);
for (const r of rows) {
  console.log([r.g, ...r.values.map((v) => v.toFixed(2)), r.diff.toFixed(2)].join('\t'));
}
console.log(
  ['wall µs/request', ...names.map((n) => ((wall[n]! * 1_000) / requests[n]!).toFixed(2))].join(
    '\t',
  ),
);
const allFunctions = new Set(names.flatMap((n) => [...functions[n]!.keys()]));
const fnRows = [...allFunctions].map((f) => {
  const values = names.map((n) => perRequest(n, functions[n]!.get(f) ?? 0));
  return { f, values, diff: values[1]! - values[0]! };
});
fnRows.sort((a, b) => Math.abs(b.diff) - Math.abs(a.diff));
console.log(`\nfunctions by |difference| (top ${TOP})`);
for (const r of fnRows.slice(0, TOP)) {
  console.log([...r.values.map((v) => v.toFixed(3)), r.diff.toFixed(3), r.f].join('\t'));
}
