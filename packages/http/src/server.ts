import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation } from '@opentelemetry/api';
import { ConfigInvalidError, runWithInbound, systemClock } from '@outrigger/core';
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
  if (options !== undefined) checkInboundOptions(options);
  return enterInbound(req, fn, options);
}

function enterInbound<T>(
  req: Pick<IncomingMessage, 'headers'>,
  fn: () => T,
  options: InboundOptions | undefined,
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
  if (options !== undefined) checkInboundOptions(options);
  return (req, res) => enterInbound(req, () => handler(req, res), options);
}

/**
 * The same as connect/express middleware: `app.use(inboundMiddleware())`. For fastify, call
 * `runInbound(request.raw, done)` from an `onRequest` hook.
 */
export function inboundMiddleware(
  options?: InboundOptions,
): (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void {
  if (options !== undefined) checkInboundOptions(options);
  return (req, _res, next) => enterInbound(req, () => next(), options);
}

/**
 * A cap that is not a positive number would make every inbound deadline NaN or already past,
 * and a header that is not a string would throw per request; both are refused up front.
 */
function checkInboundOptions(options: InboundOptions): void {
  const { header, maxTimeoutMs } = (options ?? {}) as Record<string, unknown>;
  if (header !== undefined && (typeof header !== 'string' || header.length === 0)) {
    throw new ConfigInvalidError({
      setting: 'inbound option header',
      value: header,
      expected: `a header name, such as "${DEFAULT_DEADLINE_HEADER}" (the default)`,
    });
  }
  if (maxTimeoutMs !== undefined && !(typeof maxTimeoutMs === 'number' && maxTimeoutMs > 0)) {
    throw new ConfigInvalidError({
      setting: 'inbound option maxTimeoutMs',
      value: maxTimeoutMs,
      expected: 'a number of milliseconds greater than 0 (Infinity for no cap)',
    });
  }
}
