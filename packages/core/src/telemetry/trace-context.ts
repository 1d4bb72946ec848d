import { type Context, context, trace } from '@opentelemetry/api';
import type { CallContext } from '../context/call-context.js';
import { contextKey } from '../context/context-key.js';
import { ROUTE, SUBSET } from '../routing/route.js';

/**
 * The OpenTelemetry context of the call's innermost span (the attempt's, else the call's), set
 * by the telemetry positions only while a span is recording. Transports inject trace context
 * from it, so each attempt's headers or metadata name that attempt even when the attempt waited
 * in a queue and no longer runs in its caller's async context.
 */
export const TRACE_CONTEXT = contextKey<Context>('outrigger.traceContext');

/** The context to inject into an attempt's headers or metadata. */
export function traceContextOf(ctx: CallContext): Context {
  return ctx.get(TRACE_CONTEXT) ?? context.active();
}

/**
 * Notes the endpoint an attempt went to on its span (the transport calls it: only it knows the
 * pick), as `server.address` / `server.port` and `outrigger.endpoint`, with the route and subset
 * that placed it when routes are in use.
 */
export function noteEndpoint(ctx: CallContext): void {
  const traced = ctx.get(TRACE_CONTEXT);
  const endpoint = ctx.endpoint;
  if (traced === undefined || endpoint === undefined) return;
  const span = trace.getSpan(traced);
  if (span === undefined || !span.isRecording()) return;
  try {
    span.setAttribute('server.address', endpoint.host);
    span.setAttribute('server.port', endpoint.port);
    span.setAttribute('outrigger.endpoint', endpoint.id);
    if (endpoint.zone !== undefined) span.setAttribute('outrigger.endpoint.zone', endpoint.zone);
    const route = ctx.get(ROUTE);
    if (route !== undefined) span.setAttribute('outrigger.route', route.name);
    const subset = ctx.get(SUBSET);
    if (subset !== undefined) span.setAttribute('outrigger.subset', subset);
  } catch {
    // Telemetry never fails a call.
  }
}
