import type { Attributes, Span } from '@opentelemetry/api';
import type { CallContext } from '../context/call-context.js';

/**
 * What a protocol package tells the telemetry positions about its calls, in the OpenTelemetry
 * semantic conventions of that protocol (HTTP: `http.request.method`, `url.full`, ...; RPC:
 * `rpc.system`, `rpc.service`, ...). Called only while a span is recording, i.e. with an SDK
 * registered and the call sampled; it writes straight onto the span, allocating nothing else.
 */
export interface ProtocolTelemetry<Req, Res> {
  /** The span name (`GET`, `package.Service/Method`). */
  spanName(req: Req): string;
  /** Attributes known when the call starts, on the call span and on each attempt span. */
  requestAttributes(req: Req, span: Span, ctx: CallContext): void;
  /** Attributes of a result (a status code); true when the result is an error for the span. */
  resultAttributes(res: Res, span: Span): boolean;
  /** Attributes of a failure that is not a result (a gRPC status error, a socket error). */
  errorAttributes?(error: unknown, span: Span): void;
  /** The protocol's call-duration histogram (`http.client.request.duration`, `rpc.client.duration`). */
  readonly duration?: DurationMetric<Req, Res>;
}

/** A duration histogram as the protocol's semantic conventions define it. */
export interface DurationMetric<Req, Res> {
  readonly name: string;
  readonly description: string;
  readonly unit: 's' | 'ms';
  /** The conventions' advised bucket boundaries, in `unit`. */
  readonly boundaries: readonly number[];
  /** Low-cardinality attributes of one finished call: method, service, status, error type. */
  attributes(
    req: Req,
    outcome: { ok: true; value: Res } | { ok: false; error: unknown },
  ): Attributes;
}
