/**
 * An OpenTelemetry SDK for tests, registered through `@opentelemetry/api`'s globals the way an
 * application registers its own, and taken down again so nothing leaks into the next test.
 *
 * Versions and why: docs/decisions/0048-opentelemetry-versions.md. The helpers use
 * `@opentelemetry/sdk-trace` (the package that replaces sdk-trace-base/-node in SDK 3.x; in 2.x
 * sdk-trace-base re-exports the same classes) and register the context manager and propagators by
 * hand, as that package's migration notes recommend, so moving to SDK 3.x is a version bump here.
 *
 * ```ts
 * const tracing = setUpTracing();
 * const metrics = setUpMetrics();
 * afterEach(async () => { await tracing.shutdown(); await metrics.shutdown(); });
 * // ... make calls ...
 * tracing.exporter.getFinishedSpans();
 * findMetric(await metrics.collect(), 'http.client.request.duration');
 * ```
 */
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  ExportResultCode,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  MetricReader,
  type ResourceMetrics,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  type Sampler,
  SimpleSpanProcessor,
  type SpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

export interface TracingOptions {
  /** Register the provider, an AsyncLocalStorage context manager and the W3C trace-context and
   * baggage propagators as the API's globals (default). With `false` only the provider is made,
   * for tests that inject it instead. */
  readonly global?: boolean;
  /** Default: the SDK's (parent-based, always on). */
  readonly sampler?: Sampler;
  /** Extra processors after the in-memory one (e.g. one that throws). */
  readonly spanProcessors?: readonly SpanProcessor[];
}

export interface Tracing {
  /** Every span ended since set-up (or the last `exporter.reset()`), in the order they ended. */
  readonly exporter: InMemorySpanExporter;
  readonly provider: TracerProvider;
  /** Shuts the provider down and, when it registered them, unregisters the API's trace, context
   * and propagation globals. Safe to call twice. */
  shutdown(): Promise<void>;
}

export function setUpTracing(options: TracingOptions = {}): Tracing {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    ...(options.sampler === undefined ? {} : { sampler: options.sampler }),
    spanProcessors: [new SimpleSpanProcessor({ exporter }), ...(options.spanProcessors ?? [])],
  });
  const global = options.global ?? true;
  if (global) {
    const contextManager = new AsyncLocalStorageContextManager().enable();
    const registered = [
      trace.setGlobalTracerProvider(provider),
      context.setGlobalContextManager(contextManager),
      propagation.setGlobalPropagator(
        new CompositePropagator({
          propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
        }),
      ),
    ];
    if (registered.includes(false)) {
      // The API refuses a second registration: an earlier test did not shut its SDK down.
      disableTracingGlobals();
      throw new Error('setUpTracing: OpenTelemetry globals were already registered (a leak)');
    }
  }
  let done: Promise<void> | undefined;
  return {
    exporter,
    provider,
    shutdown() {
      done ??= provider.shutdown().finally(() => {
        if (global) disableTracingGlobals();
      });
      return done;
    },
  };
}

function disableTracingGlobals(): void {
  trace.disable();
  context.disable();
  propagation.disable();
}

export interface MetricsOptions {
  /** Register the provider as the API's global meter provider (default). */
  readonly global?: boolean;
  readonly views?: readonly ViewOptions[];
}

export interface Metrics {
  readonly provider: MeterProvider;
  /** Collects on demand: no timer, nothing happens between `collect()` calls. */
  readonly reader: MetricReader;
  /** Holds what each `collect()` exported (cumulative temporality). */
  readonly exporter: InMemoryMetricExporter;
  /** Collects every instrument now, hands the result to `exporter`, and returns it. */
  collect(): Promise<ResourceMetrics>;
  /** Shuts the provider down and, when it registered it, unregisters the global meter provider.
   * Safe to call twice. */
  shutdown(): Promise<void>;
}

/** A pull reader: collects only when asked. The SDK's PeriodicExportingMetricReader would run an
 * interval timer, which makes a test's numbers depend on when it fires. */
class OnDemandMetricReader extends MetricReader {
  readonly #exporter: InMemoryMetricExporter;

  constructor(exporter: InMemoryMetricExporter) {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
    this.#exporter = exporter;
  }

  async collectAndExport(): Promise<ResourceMetrics> {
    const { resourceMetrics, errors } = await this.collect();
    if (errors.length > 0) {
      throw new AggregateError(errors, 'metric collection reported errors');
    }
    await new Promise<void>((resolve, reject) => {
      this.#exporter.export(resourceMetrics, (result) => {
        if (result.code === ExportResultCode.SUCCESS) resolve();
        else reject(result.error ?? new Error('in-memory metric export failed'));
      });
    });
    return resourceMetrics;
  }

  protected override async onForceFlush(): Promise<void> {
    await this.collectAndExport();
  }

  protected override async onShutdown(): Promise<void> {
    await this.#exporter.shutdown();
  }
}

export function setUpMetrics(options: MetricsOptions = {}): Metrics {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new OnDemandMetricReader(exporter);
  const provider = new MeterProvider({
    readers: [reader],
    ...(options.views === undefined ? {} : { views: [...options.views] }),
  });
  const global = options.global ?? true;
  if (global && !metrics.setGlobalMeterProvider(provider)) {
    metrics.disable();
    throw new Error('setUpMetrics: a global meter provider was already registered (a leak)');
  }
  let done: Promise<void> | undefined;
  return {
    provider,
    reader,
    exporter,
    collect: () => reader.collectAndExport(),
    shutdown() {
      done ??= provider.shutdown().finally(() => {
        if (global) metrics.disable();
      });
      return done;
    },
  };
}

/** The metric of that name in one collection, or undefined. */
export function findMetric(collected: ResourceMetrics, name: string): MetricData | undefined {
  for (const scope of collected.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name === name) return metric;
    }
  }
  return undefined;
}
