/**
 * What telemetry costs: HTTP `request` throughput against raw `undici.request` at
 * concurrency 64, and the default chain's per-call cost over a bare call, for telemetry off, on
 * with no SDK (the API's no-op objects), and on with an SDK (always-on sampler, a batch span
 * processor whose exporter drops everything, a meter provider, W3C propagation). One process,
 * alternating slices; ratios per round.
 */
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { buildChain, type ClientOptions } from '@outrigger/core';
import { createHttpClient, type HttpClient } from '@outrigger/http';
import { Pool } from 'undici';
import { heapPerCall } from '../lib/heap.js';
import { fmt, type Stats, stats } from '../lib/stats.js';
import type { BenchSuite } from '../lib/suite.js';
import { type Call, runSlice, type Slice } from './http/load.js';
import { startBackend } from './http/server.js';

const ROUNDS = 12;
const SLICE_CALLS = 10_000;
const CONCURRENCY = 64;
const CHAIN_CALLS = 20_000;

/** Drops every span: what the SDK's own work costs, without an exporter's I/O. */
const dropAll: SpanExporter = {
  export: (_spans: ReadableSpan[], done) => done({ code: 0 }),
  shutdown: async () => {},
};

function sdkProviders(): Pick<ClientOptions, 'tracerProvider' | 'meterProvider'> {
  return {
    tracerProvider: new BasicTracerProvider({
      sampler: new AlwaysOnSampler(),
      spanProcessors: [new BatchSpanProcessor(dropAll)],
    }),
    meterProvider: new MeterProvider(),
  };
}

/**
 * Raw `undici.request` with what the SDK variant's spans cost made by hand, the way an
 * application instruments a call itself: a CLIENT span for the call, a child for the attempt
 * with its attributes, W3C trace context injected into the request, the duration histogram.
 * The SDK variant over this one is Outrigger's own cost with an SDK; this one over raw
 * `undici.request` is the SDK's.
 */
function handInstrumented(pool: Pool, origin: string): Call {
  const { tracerProvider, meterProvider } = sdkProviders();
  const tracer = tracerProvider!.getTracer('by-hand');
  const histogram = meterProvider!
    .getMeter('by-hand')
    .createHistogram('http.client.request.duration', {
      unit: 's',
    });
  const url = `${origin}/`;
  return async () => {
    const started = performance.now();
    const call = tracer.startSpan('GET', {
      kind: SpanKind.CLIENT,
      attributes: { 'http.request.method': 'GET', 'url.full': url, 'server.address': 'bench' },
    });
    const callContext = trace.setSpan(context.active(), call);
    const attempt = tracer.startSpan(
      'GET',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'http.request.method': 'GET',
          'url.full': url,
          'server.address': '127.0.0.1',
          'server.port': 1,
        },
      },
      callContext,
    );
    const headers: Record<string, string> = {};
    propagation.inject(trace.setSpan(callContext, attempt), headers);
    const res = await pool.request({ path: '/', method: 'GET', headers });
    attempt.setAttribute('http.response.status_code', res.statusCode);
    attempt.end();
    call.setAttribute('http.response.status_code', res.statusCode);
    call.end();
    await res.body.dump();
    histogram.record((performance.now() - started) / 1_000, {
      'http.request.method': 'GET',
      'http.response.status_code': res.statusCode,
    });
  };
}

type Mode = 'off' | 'on, no SDK' | 'on, SDK' | 'by hand';
const MODES: readonly Mode[] = ['off', 'on, no SDK', 'on, SDK'];

/** The SDK variant also injects W3C trace context: the propagator is global, so per slice. */
async function inMode<T>(mode: Mode, run: () => Promise<T>): Promise<T> {
  if (mode !== 'on, SDK' && mode !== 'by hand') return run();
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  try {
    return await run();
  } finally {
    propagation.disable();
  }
}

interface ChainCost {
  /** µs per call over a bare call, median of 5 runs. */
  readonly us: number;
  /** Heap bytes allocated per call over a bare call (young garbage included). */
  readonly bytes: number;
}

async function chainCost(mode: Mode): Promise<ChainCost> {
  const chain = buildChain<null, number>({
    options: {
      service: 'bench',
      discovery: ['10.0.0.1:80'],
      env: {},
      ...(mode === 'off' ? { telemetry: false } : {}),
      ...(mode === 'on, SDK' ? sdkProviders() : {}),
    },
    transport: async () => 1,
  });
  const bare = async (_req: null) => 1;
  const time = async (f: () => Promise<unknown>) => {
    const t0 = performance.now();
    for (let i = 0; i < CHAIN_CALLS; i++) await f();
    return ((performance.now() - t0) * 1_000) / CHAIN_CALLS;
  };
  await time(() => chain.call(null));
  await time(() => bare(null));
  const samples: number[] = [];
  for (let r = 0; r < 5; r++) {
    const c = await inMode(mode, () => time(() => chain.call(null)));
    const b = await time(() => bare(null));
    samples.push(c - b);
  }
  const heap = await inMode(mode, () => heapPerCall(() => chain.call(null), 20_000, 3));
  const bareHeap = await heapPerCall(() => bare(null), 20_000, 3);
  await chain.close();
  return { us: stats(samples).median, bytes: heap.median - bareHeap.median };
}

const suite: BenchSuite = {
  name: 'telemetry',
  title: 'Telemetry: off, on without an SDK, on with an SDK',
  async run() {
    const backend = await startBackend();
    const origin = `http://127.0.0.1:${backend.port}`;
    const pool = new Pool(origin);
    const clients = new Map<Mode, HttpClient>();
    for (const mode of MODES) {
      clients.set(
        mode,
        createHttpClient({
          service: 'bench',
          discovery: [`127.0.0.1:${backend.port}`],
          env: {},
          ...(mode === 'off' ? { telemetry: false } : {}),
          ...(mode === 'on, SDK' ? sdkProviders() : {}),
        }),
      );
    }
    const raw: Call = async () => {
      const res = await pool.request({ path: '/', method: 'GET' });
      await res.body.dump();
    };
    const through =
      (client: HttpClient): Call =>
      async () => {
        const res = await client.request('/');
        await res.body.dump();
      };
    const calls: [string, Call, Mode | undefined][] = [
      ['undici.request', raw, undefined],
      ...MODES.map(
        (m) => [`Outrigger, telemetry ${m}`, through(clients.get(m)!), m] as [string, Call, Mode],
      ),
      ['undici.request + the same spans by hand', handInstrumented(pool, origin), 'by hand'],
    ];
    const samples: Slice[][] = calls.map(() => []);
    try {
      for (const [, call, mode] of calls) {
        await (mode
          ? inMode(mode, () => runSlice(call, CONCURRENCY, 2_000))
          : runSlice(call, CONCURRENCY, 2_000));
      }
      for (let round = 0; round < ROUNDS; round++) {
        for (let k = 0; k < calls.length; k++) {
          const i = (k + round) % calls.length;
          const [, call, mode] = calls[i]!;
          samples[i]!.push(
            await (mode
              ? inMode(mode, () => runSlice(call, CONCURRENCY, SLICE_CALLS))
              : runSlice(call, CONCURRENCY, SLICE_CALLS)),
          );
        }
      }
    } finally {
      for (const client of clients.values()) await client.close();
      await pool.close();
      await backend.stop();
    }
    const chain = new Map<Mode, ChainCost>();
    for (const mode of MODES) chain.set(mode, await chainCost(mode));

    const ratio = (i: number, j: number): Stats =>
      stats(samples[i]!.map((x, r) => x.rps / samples[j]![r]!.rps));
    const cpu = (i: number) => stats(samples[i]!.map((x) => x.cpu)).median;
    const lines = [
      '## Telemetry cost',
      '',
      `HTTP \`request\` at concurrency ${CONCURRENCY} against the bench backend (a child process),`,
      `${ROUNDS} rounds of ${SLICE_CALLS} calls per variant, rotating which goes first; the SDK`,
      'variant has an always-on sampler, a batch span processor whose exporter drops everything, a meter',
      'provider and the W3C propagator (set for its slices only). "By hand" is raw `undici.request`',
      'making the same two spans, trace header and histogram itself: what the SDK costs anyone who',
      'traces a call. Chain cost: the default chain around a no-op transport, over a bare call,',
      `median of 5 runs of ${CHAIN_CALLS} calls; bytes: V8's sampling heap profiler, median of 3.`,
      '',
      '| variant | calls/s | p50 µs | client CPU µs/call | / undici.request | chain µs over bare | chain B/call over bare |',
      '|---|---|---|---|---|---|---|',
    ];
    calls.forEach(([name, , mode], i) => {
      const s = samples[i]!;
      const c = mode && mode !== 'by hand' ? chain.get(mode) : undefined;
      lines.push(
        `| ${name} | ${fmt(stats(s.map((x) => x.rps)), 0)} | ${fmt(stats(s.map((x) => x.p50)), 0)} | ${fmt(stats(s.map((x) => x.cpu)), 1)} | ${i === 0 ? '1' : fmt(ratio(i, 0), 3)} | ${c ? c.us.toFixed(2) : '—'} | ${c ? Math.round(c.bytes) : '—'} |`,
      );
    });
    lines.push(
      '',
      '| measure | value | target |',
      '|---|---|---|',
      `| on without SDK / off throughput | ${fmt(ratio(2, 1), 3)} | within 2% (>= 0.98) |`,
      `| chain over bare, on without SDK | ${chain.get('on, no SDK')!.us.toFixed(2)} µs, ${Math.round(chain.get('on, no SDK')!.bytes)} B | <= 2 µs, <= 2 KB |`,
      `| on with SDK / undici.request throughput | ${fmt(ratio(3, 0), 3)} | >= 0.80 |`,
      `| on with SDK / undici.request with the same spans by hand | ${fmt(ratio(3, 4), 3)} | (Outrigger's part) |`,
      `| the same spans by hand / undici.request | ${fmt(ratio(4, 0), 3)} | (the SDK's part) |`,
      `| client CPU µs/call: SDK's part (by hand − raw), Outrigger's with SDK (SDK − by hand) | ${(cpu(4) - cpu(0)).toFixed(1)}, ${(cpu(3) - cpu(4)).toFixed(1)} | — |`,
    );
    return lines.join('\n');
  },
};

export default suite;
