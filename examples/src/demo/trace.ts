/**
 * `--trace`: the OpenTelemetry Node SDK registered before the Outrigger client is made (the
 * application picks the SDK; Outrigger only speaks @opentelemetry/api), so its spans show:
 * every span to a file as JSON lines, or a 1% sample of calls printed as trees at the end (a
 * console exporter printing while the live view redraws would garble both).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  AlwaysOnSampler,
  BatchSpanProcessor,
  InMemorySpanExporter,
  ParentBasedSampler,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace';
import type { TraceTarget } from './flags.js';

type ExportDone = Parameters<SpanExporter['export']>[1];
// ExportResultCode's values, from @opentelemetry/core, which examples/ does not depend on.
const SUCCESS = 0;
const FAILED = 1;

function hrTimeToMicroseconds([s, ns]: readonly [number, number]): number {
  return s * 1e6 + ns / 1e3;
}

export interface Tracing {
  /** Flushes every span; for the console, prints the sampled calls to `out`. */
  finish(out: Writable): Promise<string>;
}

const CONSOLE_SAMPLE = 0.01;
const CONSOLE_TRACES = 8;

export function startTracing(target: TraceTarget): Tracing {
  const memory = new InMemorySpanExporter();
  const file = target.kind === 'file' ? new JsonLinesExporter(target.path) : undefined;
  const sdk = new NodeSDK({
    serviceName: 'outrigger-demo',
    sampler:
      target.kind === 'file'
        ? new AlwaysOnSampler()
        : new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(CONSOLE_SAMPLE) }),
    spanProcessors: [
      file === undefined
        ? new SimpleSpanProcessor({ exporter: memory })
        : new BatchSpanProcessor({ exporter: file, maxQueueSize: 65_536 }),
    ],
    instrumentations: [],
  });
  sdk.start();
  return {
    async finish(out) {
      // Read before shutting down: shutting the in-memory exporter down empties it.
      const sampled = [...memory.getFinishedSpans()];
      await sdk.shutdown();
      if (file !== undefined)
        return `Spans: ${file.written} written to ${target.kind === 'file' ? target.path : ''} (one JSON object a line)`;
      out.write(printTraces(sampled));
      return `Spans: a ${CONSOLE_SAMPLE * 100}% sample of Outrigger's calls, above (--trace=<file> writes them all)`;
    },
  };
}

function record(span: ReadableSpan) {
  const context = span.spanContext();
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? null,
    name: span.name,
    kind: span.kind,
    startUs: hrTimeToMicroseconds(span.startTime),
    durationUs: hrTimeToMicroseconds(span.duration),
    status: span.status,
    attributes: span.attributes,
    events: span.events.map((e) => ({ name: e.name, attributes: e.attributes ?? {} })),
  };
}

class JsonLinesExporter implements SpanExporter {
  written = 0;
  readonly #stream: WriteStream;
  constructor(path: string) {
    this.#stream = createWriteStream(path);
  }
  export(spans: ReadableSpan[], done: ExportDone): void {
    let text = '';
    for (const span of spans) text += `${JSON.stringify(record(span))}\n`;
    this.written += spans.length;
    this.#stream.write(text, (error) => done({ code: error ? FAILED : SUCCESS }));
  }
  shutdown(): Promise<void> {
    return new Promise((resolve) => this.#stream.end(() => resolve()));
  }
}

/** A few sampled calls, each as its CLIENT span with its attempts indented beneath. */
function printTraces(spans: readonly ReadableSpan[]): string {
  const byTrace = new Map<string, ReadableSpan[]>();
  for (const span of spans) {
    const id = span.spanContext().traceId;
    byTrace.set(id, [...(byTrace.get(id) ?? []), span]);
  }
  // Calls with retries or failures first: they show the most.
  const traces = [...byTrace.values()].sort((a, b) => b.length - a.length).slice(0, CONSOLE_TRACES);
  const lines = [
    `Spans of ${traces.length} of ${byTrace.size} sampled calls (trace id, then spans):`,
  ];
  for (const trace of traces) {
    lines.push(`trace ${trace[0]!.spanContext().traceId}`);
    const roots = trace.filter(
      (s) => !trace.some((p) => p.spanContext().spanId === s.parentSpanContext?.spanId),
    );
    const walk = (span: ReadableSpan, depth: number) => {
      const attrs = Object.entries(span.attributes)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ');
      const ms = (hrTimeToMicroseconds(span.duration) / 1_000).toFixed(1);
      const events = span.events.map((e) => ` [${e.name}]`).join('');
      lines.push(`${'  '.repeat(depth + 1)}${span.name}  ${ms} ms  ${attrs}${events}`);
      for (const child of trace.filter(
        (s) => s.parentSpanContext?.spanId === span.spanContext().spanId,
      )) {
        walk(child, depth + 1);
      }
    };
    for (const root of roots) walk(root, 0);
  }
  return `${lines.join('\n')}\n\n`;
}
