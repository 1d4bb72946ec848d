import {
  type Context,
  context,
  type Span,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { ATTEMPT_CAUSE } from '../context/attempt-cause.js';
import type { CallContext } from '../context/call-context.js';
import { isOutriggerError } from '../errors/errors.js';
import { directOf, directService, type Settler } from '../service/direct.js';
import type { Outcome } from '../service/outcome.js';
import { namedPolicy, type Policy, type Service } from '../service/service.js';
import type { AttemptMetrics, CallMetrics } from './metrics.js';
import type { ProtocolTelemetry } from './protocol.js';
import type { SpanEvents } from './span-events.js';
import { TRACE_CONTEXT } from './trace-context.js';

const CLIENT: SpanOptions = Object.freeze({ kind: SpanKind.CLIENT });

export interface SpanPolicyOptions {
  readonly tracer: Tracer;
  /** False while spans cannot record (no SDK behind the global provider): see `tracingProbe`. */
  readonly tracing?: (() => boolean) | undefined;
  readonly protocol: ProtocolTelemetry<never, never> | undefined;
  /** The call-duration histogram; undefined without a metrics SDK. */
  readonly metrics?: CallMetrics | undefined;
  /** Policy decisions as span events, subscribed when a span first records. */
  readonly spanEvents?: SpanEvents | undefined;
}

export interface AttemptPolicyOptions {
  readonly tracer: Tracer;
  readonly protocol: ProtocolTelemetry<never, never> | undefined;
  /** Make a span per attempt (the `attemptSpans` setting). */
  readonly spans: boolean;
  /** The attempts counter; undefined without a metrics SDK. */
  readonly metrics: AttemptMetrics | undefined;
}

/**
 * The outermost position: one CLIENT span per logical call, a child of the caller's active
 * context, covering every wait, retry and refusal below. Without an SDK the tracer's span does
 * not record, and the call goes on with nothing else made; with one, the span's context rides
 * on the call's context (`TRACE_CONTEXT`) for the attempt spans and the transport.
 */
export function callSpans(options: SpanPolicyOptions): Policy {
  const { tracer, protocol, metrics, spanEvents } = options;
  const tracing = options.tracing ?? (() => true);
  return namedPolicy(
    'telemetry',
    <Req, Res>(next: Service<Req, Res>): Service<Req, Res> => {
      const inner = directOf(next);
      return directService<Req, Res>((req, ctx, settler) => {
        // Without an SDK behind the tracer, not even the caller's context is looked up.
        const parent = tracing() ? context.active() : undefined;
        const span = parent && startSpan(tracer, req, ctx, protocol, parent, 0);
        if (span === undefined && metrics === undefined) {
          inner(req, ctx, settler);
          return;
        }
        if (span !== undefined) spanEvents?.ensure();
        const observed = new ObservedCall<Res>(span, settler, protocol, metrics, req, ctx);
        inner(req, span ? ctx.with(TRACE_CONTEXT, trace.setSpan(parent!, span)) : ctx, observed);
      });
    },
    { keepsCancellation: true },
  );
}

/**
 * Inside retry and hedge: a child span per attempt under the call's span (only while the call
 * span records). The attempt's span is the active context while the attempt starts, and rides
 * on its call context for the transport, so each attempt's trace headers name it. Also counts
 * attempts, by why they were made, when a metrics SDK is behind the meter.
 */
export function attemptSpans(options: AttemptPolicyOptions): Policy {
  const { tracer, protocol, metrics } = options;
  const spans = options.spans;
  return namedPolicy(
    'attempt-span',
    <Req, Res>(next: Service<Req, Res>): Service<Req, Res> => {
      const inner = directOf(next);
      return directService<Req, Res>((req, ctx, settler) => {
        if (metrics !== undefined) metrics.attempt(ctx);
        const parent = spans ? ctx.get(TRACE_CONTEXT) : undefined;
        const span = parent && startSpan(tracer, req, ctx, protocol, parent, ctx.attempt);
        if (span === undefined) {
          inner(req, ctx, settler);
          return;
        }
        const traced = trace.setSpan(parent!, span);
        const call = new ObservedCall<Res>(span, settler, protocol, undefined, req, ctx);
        context.with(traced, () => inner(req, ctx.with(TRACE_CONTEXT, traced), call));
      });
    },
    { keepsCancellation: true },
  );
}

/** A recording span for this call or attempt, or undefined (no SDK, not sampled, a throw). */
function startSpan<Req>(
  tracer: Tracer,
  req: Req,
  ctx: CallContext,
  protocol: ProtocolTelemetry<never, never> | undefined,
  parent: Context,
  attempt: number,
): Span | undefined {
  try {
    const name = protocol ? protocol.spanName(req as never) : ctx.service;
    const span = tracer.startSpan(name, CLIENT, parent);
    if (!span.isRecording()) return undefined;
    span.setAttribute('outrigger.service', ctx.service);
    if (attempt > 0) {
      span.setAttribute('outrigger.attempt', attempt);
      // The semantic conventions' resend count: 0 for the first attempt, 1 for the first retry.
      if (attempt > 1) span.setAttribute('http.request.resend_count', attempt - 1);
      const cause = attempt > 1 ? ctx.get(ATTEMPT_CAUSE) : undefined;
      if (cause?.kind === 'hedge') span.setAttribute('outrigger.hedge', true);
      else if (cause !== undefined) {
        span.setAttribute('outrigger.retry.reason', cause.reason);
        if (cause.kind === 'requeue') span.setAttribute('outrigger.requeue', true);
      }
    }
    protocol?.requestAttributes(req as never, span, ctx);
    return span;
  } catch {
    return undefined;
  }
}

/**
 * Ends its span and records the call's duration with the outcome, then passes the outcome on;
 * telemetry never fails a call.
 */
class ObservedCall<Res> implements Settler<Res> {
  readonly #span: Span | undefined;
  readonly #settler: Settler<Res>;
  readonly #protocol: ProtocolTelemetry<never, never> | undefined;
  readonly #metrics: CallMetrics | undefined;
  readonly #req: unknown;
  readonly #ctx: CallContext;
  readonly #started: number;

  constructor(
    span: Span | undefined,
    settler: Settler<Res>,
    protocol: ProtocolTelemetry<never, never> | undefined,
    metrics: CallMetrics | undefined,
    req: unknown,
    ctx: CallContext,
  ) {
    this.#span = span;
    this.#settler = settler;
    this.#protocol = protocol;
    this.#metrics = metrics;
    this.#req = req;
    this.#ctx = ctx;
    this.#started = metrics === undefined ? 0 : ctx.clock.now();
  }

  settle(outcome: Outcome<Res>): void {
    try {
      if (this.#span !== undefined) endSpan(this.#span, outcome, this.#protocol);
      this.#metrics?.record(this.#req, outcome, this.#ctx.clock.now() - this.#started);
    } catch {
      // A throwing span processor, exporter or reader is the SDK's problem, not the caller's.
    }
    this.#settler.settle(outcome);
  }
}

function endSpan<Res>(
  span: Span,
  outcome: Outcome<Res>,
  protocol: ProtocolTelemetry<never, never> | undefined,
): void {
  if (outcome.ok) {
    if (protocol?.resultAttributes(outcome.value as never, span)) {
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
  } else {
    const error = outcome.error;
    if (isOutriggerError(error)) span.setAttribute('outrigger.refusal', error.code);
    span.setAttribute('error.type', errorType(error));
    protocol?.errorAttributes?.(error, span);
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    });
  }
  span.end();
}

/** `error.type`: an Outrigger code, a socket code, or the error's class name. */
function errorType(error: unknown): string {
  if (isOutriggerError(error)) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  if (error instanceof Error) return error.name;
  return '_OTHER';
}
