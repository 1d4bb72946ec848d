/**
 * The chosen OpenTelemetry set (docs/decisions/0048-opentelemetry-versions.md) works together:
 * one copy of @opentelemetry/api shared by Outrigger and every SDK package, in-memory trace and
 * metric exporters fed through the API's globals, and the two pieces the examples need
 * (sdk-node with a console span exporter, the Prometheus exporter on a local port). Every test
 * takes its SDK down again, so nothing leaks into other test files.
 */
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  context,
  metrics,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  ValueType,
} from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { DataPointType, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  ConsoleSpanExporter,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace';
import { InMemorySpanExporter as BaseInMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVICE_NAME,
  METRIC_HTTP_CLIENT_REQUEST_DURATION,
} from '@opentelemetry/semantic-conventions';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  findMetric,
  type Metrics,
  setUpMetrics,
  setUpTracing,
  type Tracing,
} from './support/otel.js';

// The semconv advice for http.client.request.duration (seconds).
const DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

let tracing: Tracing | undefined;
let meters: Metrics | undefined;
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  await tracing?.shutdown();
  await meters?.shutdown();
  tracing = undefined;
  meters = undefined;
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  // Whatever a test did, the API is back to its no-op state for the next one.
  trace.disable();
  metrics.disable();
  context.disable();
  propagation.disable();
});

describe('one @opentelemetry/api', () => {
  it('is the copy Outrigger and every SDK package resolve', () => {
    const require = createRequire(import.meta.url);
    const ours = require.resolve('@opentelemetry/api');
    // Resolved as Node resolves it from a file of that package.
    const fromFile = (file: string) => createRequire(file).resolve('@opentelemetry/api');
    // The Outrigger packages are ESM-only (no `require` export): resolve from their folders.
    for (const workspace of ['core', 'http', 'grpc']) {
      const file = fileURLToPath(
        new URL(`../../../packages/${workspace}/package.json`, import.meta.url),
      );
      expect(fromFile(file), `@outrigger/${workspace}`).toBe(ours);
    }
    for (const pkg of [
      '@opentelemetry/sdk-trace',
      '@opentelemetry/sdk-trace-base',
      '@opentelemetry/sdk-metrics',
      '@opentelemetry/core',
      '@opentelemetry/context-async-hooks',
      '@opentelemetry/sdk-node',
      '@opentelemetry/exporter-prometheus',
    ]) {
      expect(fromFile(require.resolve(pkg)), pkg).toBe(ours);
    }
  });

  it("sdk-trace-base's InMemorySpanExporter is sdk-trace's (2.x re-exports the one class)", () => {
    expect(BaseInMemorySpanExporter).toBe(InMemorySpanExporter);
  });
});

describe('tracing through the API globals', () => {
  it('exports spans with their attributes, parents across await, and W3C headers', async () => {
    tracing = setUpTracing();
    const tracer = trace.getTracer('otel-setup-test', '0.1.0');

    const headers: Record<string, string> = {};
    let attemptSpanId = '';
    await tracer.startActiveSpan(
      'GET',
      { kind: SpanKind.CLIENT, attributes: { [ATTR_HTTP_REQUEST_METHOD]: 'GET' } },
      async (call) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        await tracer.startActiveSpan('attempt', async (attempt) => {
          attempt.setAttribute(ATTR_SERVER_ADDRESS, '127.0.0.1');
          attempt.addEvent('outrigger.retry.scheduled', { 'outrigger.retry.delay_ms': 25 });
          await Promise.resolve();
          propagation.inject(context.active(), headers);
          attemptSpanId = attempt.spanContext().spanId;
          attempt.setStatus({ code: SpanStatusCode.ERROR });
          attempt.end();
        });
        call.end();
      },
    );

    const spans = tracing.exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['attempt', 'GET']);
    const [attempt, call] = spans;
    expect(call?.kind).toBe(SpanKind.CLIENT);
    expect(call?.attributes).toEqual({ 'http.request.method': 'GET' });
    expect(call?.instrumentationScope).toMatchObject({ name: 'otel-setup-test', version: '0.1.0' });
    expect(call?.parentSpanContext).toBeUndefined();
    expect(attempt?.parentSpanContext?.spanId).toBe(call?.spanContext().spanId);
    expect(attempt?.spanContext().traceId).toBe(call?.spanContext().traceId);
    expect(attempt?.attributes).toEqual({ 'server.address': '127.0.0.1' });
    expect(attempt?.events.map((e) => [e.name, e.attributes])).toEqual([
      ['outrigger.retry.scheduled', { 'outrigger.retry.delay_ms': 25 }],
    ]);
    expect(attempt?.status.code).toBe(SpanStatusCode.ERROR);

    // The header names the attempt, so the next hop's spans become its children.
    const traceId = call?.spanContext().traceId;
    expect(headers.traceparent).toBe(`00-${traceId}-${attemptSpanId}-01`);
    const remote = trace.getSpanContext(propagation.extract(context.active(), headers));
    expect(remote).toMatchObject({ traceId, spanId: attemptSpanId, isRemote: true });
  });

  it('leaves the API no-op after shutdown, and can be set up again', async () => {
    tracing = setUpTracing();
    await tracing.shutdown();
    expect(trace.getTracer('t').startSpan('s').isRecording()).toBe(false);
    expect(propagation.fields()).toEqual([]);

    tracing = setUpTracing();
    trace.getTracer('t').startSpan('again').end();
    expect(tracing.exporter.getFinishedSpans().map((s) => s.name)).toEqual(['again']);
  });

  it('refuses to set up over a registration that leaked', () => {
    tracing = setUpTracing();
    expect(() => setUpTracing()).toThrow(/already registered/);
  });
});

describe('metrics through the API globals', () => {
  it('collects a histogram with advised buckets, a counter and an observable gauge', async () => {
    meters = setUpMetrics();
    const meter = metrics.getMeter('otel-setup-test', '0.1.0');
    const duration = meter.createHistogram(METRIC_HTTP_CLIENT_REQUEST_DURATION, {
      unit: 's',
      valueType: ValueType.DOUBLE,
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
    const retries = meter.createCounter('outrigger.client.retries', { unit: '{retry}' });
    let breakerState = 0;
    meter
      .createObservableGauge('outrigger.breaker.state', { unit: '{state}' })
      .addCallback((result) => result.observe(breakerState, { 'outrigger.service': 'payments' }));

    const attributes = { 'http.request.method': 'GET', 'server.address': 'payments' };
    duration.record(0.02, attributes);
    duration.record(0.3, attributes);
    retries.add(2, { 'outrigger.retry.reason': 'status_503' });
    breakerState = 1;

    const collected = await meters.collect();
    expect(meters.exporter.getMetrics()).toHaveLength(1);

    const histogram = findMetric(collected, 'http.client.request.duration') as HistogramMetricData;
    expect(histogram.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(histogram.descriptor.unit).toBe('s');
    expect(histogram.dataPoints).toHaveLength(1);
    const point = histogram.dataPoints[0]!;
    expect(point.attributes).toEqual(attributes);
    expect(point.value.count).toBe(2);
    expect(point.value.sum).toBeCloseTo(0.32);
    expect(point.value.buckets.boundaries).toEqual(DURATION_BUCKETS);
    expect(point.value.buckets.counts.reduce((a, b) => a + b, 0)).toBe(2);

    const counter = findMetric(collected, 'outrigger.client.retries');
    expect(counter?.dataPointType).toBe(DataPointType.SUM);
    expect(counter?.dataPoints.map((p) => [p.attributes, p.value])).toEqual([
      [{ 'outrigger.retry.reason': 'status_503' }, 2],
    ]);

    const gauge = findMetric(collected, 'outrigger.breaker.state');
    expect(gauge?.dataPointType).toBe(DataPointType.GAUGE);
    expect(gauge?.dataPoints.map((p) => p.value)).toEqual([1]);

    // Cumulative: a second collection still holds the first one's counts.
    retries.add(1, { 'outrigger.retry.reason': 'status_503' });
    const again = findMetric(await meters.collect(), 'outrigger.client.retries');
    expect(again?.dataPoints.map((p) => p.value)).toEqual([3]);
  });

  it('leaves the API no-op after shutdown', async () => {
    meters = setUpMetrics();
    const provider = meters.provider;
    await meters.shutdown();
    expect(metrics.getMeterProvider()).not.toBe(provider);
    const histogram = metrics.getMeter('t').createHistogram('h');
    histogram.record(1);
    meters = setUpMetrics();
    expect(findMetric(await meters.collect(), 'h')).toBeUndefined();
  });
});

describe('what the examples need', () => {
  it('sdk-node with a console span exporter prints the span', async () => {
    const printed: unknown[] = [];
    vi.spyOn(console, 'dir').mockImplementation((item) => {
      printed.push(item);
    });
    const sdk = new NodeSDK({
      autoDetectResources: false,
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'otel-setup-example' }),
      spanProcessors: [new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() })],
      instrumentations: [],
    });
    sdk.start();
    cleanups.push(() => sdk.shutdown());

    await trace.getTracer('example').startActiveSpan('GET /charges/42', async (span) => {
      expect(propagation.fields()).toContain('traceparent');
      span.end();
    });

    expect(printed).toEqual([
      expect.objectContaining({
        name: 'GET /charges/42',
        resource: { attributes: expect.objectContaining({ 'service.name': 'otel-setup-example' }) },
      }),
    ]);
  });

  it('the Prometheus exporter serves the histogram on a local port', async () => {
    const port = await freePort();
    const exporter = new PrometheusExporter({ host: '127.0.0.1', port, preventServerStart: true });
    await exporter.startServer();
    cleanups.push(() => exporter.shutdown());
    const sdk = new NodeSDK({
      autoDetectResources: false,
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'otel-setup-example' }),
      metricReaders: [exporter],
      instrumentations: [],
    });
    sdk.start();
    cleanups.push(() => sdk.shutdown());

    metrics
      .getMeter('example')
      .createHistogram(METRIC_HTTP_CLIENT_REQUEST_DURATION, {
        unit: 's',
        advice: { explicitBucketBoundaries: DURATION_BUCKETS },
      })
      .record(0.02, { 'http.request.method': 'GET' });

    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^# TYPE http_client_request_duration\w* histogram$/m);
    expect(text).toMatch(
      /^http_client_request_duration\w*_bucket\{http_request_method="GET",[^}]*le="0\.025"\} 1$/m,
    );
    expect(text).toMatch(
      /^http_client_request_duration\w*_count\{http_request_method="GET"[^}]*\} 1$/m,
    );
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
