import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation } from '@opentelemetry/api';
import { runWithInbound, systemClock } from '@outrigger/core';
import { DEFAULT_DEADLINE_HEADER } from './options.js';
import { incomingGetter, parseTimeoutHeader } from './propagation.js';

export interface InboundOptions {
  /** The header carrying the caller's remaining time in ms. Default `outrigger-timeout-ms`. */
  header?: string;
  /** Caps what a caller may ask for (a client cannot hold this server's calls open longer). */
  maxTimeoutMs?: number;
}

/**
 * Runs `fn` in the scope of an inbound request: its deadline (the caller's remaining time)
 * and its W3C trace context. Every Outrigger call made inside, however deep and across
 * awaits (AsyncLocalStorage), is capped by that deadline and sends the rest of it on.
 */
export function runInbound<T>(
  req: Pick<IncomingMessage, 'headers'>,
  fn: () => T,
  options?: InboundOptions,
): T {
  const header = options?.header?.toLowerCase() ?? DEFAULT_DEADLINE_HEADER;
  let ms = parseTimeoutHeader(req.headers[header]);
  if (ms !== undefined && options?.maxTimeoutMs !== undefined)
    ms = Math.min(ms, options.maxTimeoutMs);
  // Without an SDK the propagator is a no-op: skip extracting anything.
  const traced =
    propagation.fields().length > 0
      ? () => context.with(propagation.extract(context.active(), req.headers, incomingGetter), fn)
      : fn;
  if (ms === undefined) return traced();
  return runWithInbound({ deadline: systemClock.now() + ms }, traced);
}

type NodeHandler<R extends IncomingMessage, S extends ServerResponse> = (req: R, res: S) => unknown;

/**
 * Wraps a plain `node:http` request handler (`createServer(withInbound(handler))`) so that the
 * inbound deadline and trace context apply to every outbound call made while handling it.
 */
export function withInbound<R extends IncomingMessage, S extends ServerResponse>(
  handler: NodeHandler<R, S>,
  options?: InboundOptions,
): (req: R, res: S) => unknown {
  return (req, res) => runInbound(req, () => handler(req, res), options);
}

/**
 * The same as connect/express middleware: `app.use(inboundMiddleware())`. For fastify, call
 * `runInbound(request.raw, done)` from an `onRequest` hook.
 */
export function inboundMiddleware(
  options?: InboundOptions,
): (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void {
  return (req, _res, next) => runInbound(req, () => next(), options);
}
