/**
 * Where the chain's CPU goes per call with an OpenTelemetry SDK behind it (always-on sampler, a
 * batch processor dropping every span, a meter provider, the W3C propagator): the default chain
 * around a no-op transport, under V8's sampling CPU profiler, self time per function and per
 * package. Run: node --expose-gc --import tsx bench/tools/telemetry-profile.ts [--top N]
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
import { buildChain } from '@outrigger/core';

const topIndex = process.argv.indexOf('--top');
const TOP = topIndex > 0 ? Number(process.argv[topIndex + 1]) : 30;
const CALLS = 200_000;

const dropAll: SpanExporter = { export: (_s, done) => done({ code: 0 }), shutdown: async () => {} };
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
const chain = buildChain<null, number>({
  options: {
    service: 'bench',
    discovery: ['10.0.0.1:80'],
    env: {},
    tracerProvider: new BasicTracerProvider({
      sampler: new AlwaysOnSampler(),
      spanProcessors: [new BatchSpanProcessor(dropAll)],
    }),
    meterProvider: new MeterProvider(),
  },
  transport: async () => 1,
});
const run = async (n: number) => {
  for (let i = 0; i < n; i++) await chain.call(null);
};
await run(50_000);
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 50 });
await session.post('Profiler.start');
const t0 = performance.now();
await run(CALLS);
const elapsed = performance.now() - t0;
const { profile } = (await session.post('Profiler.stop')) as unknown as {
  profile: {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
    samples: number[];
    timeDeltas: number[];
  };
};
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
const byPackage = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  total += dt;
  const node = byId.get(id)!;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/packages\//, '');
  const key = `${functionName || '(anon)'} ${where}:${lineNumber}`;
  self.set(key, (self.get(key) ?? 0) + dt);
  const pkg = url.includes('node_modules/@opentelemetry/')
    ? url.replace(/^.*node_modules\/(@opentelemetry\/[^/]+).*$/, '$1')
    : url.includes('/packages/')
      ? url.replace(/^.*\/packages\/([^/]+).*$/, 'outrigger/$1')
      : url === ''
        ? functionName || '(native)'
        : 'node';
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + dt);
});
console.log(`${((elapsed * 1_000) / CALLS).toFixed(2)} µs per call (profiled)`);
const perCall = (us: number) => `${((us / total) * ((elapsed * 1_000) / CALLS)).toFixed(3)} µs`;
console.log('\nBy package:');
for (const [k, v] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
  console.log(`  ${perCall(v).padStart(10)}  ${k}`);
}
console.log('\nBy function (self):');
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
  console.log(`  ${perCall(v).padStart(10)}  ${k}`);
}
await chain.close();
