/**
 * The gRPC server side of inbound deadlines and trace context (the counterpart of
 * `@outrigger/http`'s server.ts). A little over 200 lines: the three ways in (one handler, a
 * whole implementation, a server interceptor) share one scope builder and one options check,
 * which is clearer in one file than spread over three.
 */
import {
  type Deadline,
  type Metadata,
  ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
  type UntypedHandleCall,
} from '@grpc/grpc-js';
import { context, propagation } from '@opentelemetry/api';
import {
  ConfigInvalidError,
  runWithInbound,
  systemClock,
  unknownOptionError,
} from '@outrigger/core';
import { metadataGetter } from './metadata-propagation.js';

export interface InboundOptions {
  /**
   * Caps what a caller may ask for (a client cannot hold this server's calls open longer): the
   * inbound deadline is at most this many ms after arrival. A call that brings no deadline
   * stays without one, as on the HTTP side.
   */
  maxTimeoutMs?: number;
}

const OPTION_KEYS = ['maxTimeoutMs'] as const;

/** The handler's side of a call's events (grpc-js does not export the name). */
type InterceptingServerListener = Parameters<ServerInterceptingCallInterface['start']>[0];

/** Runs `fn` inside one call's inbound scope. */
type Enter = <T>(fn: () => T) => T;

/**
 * The scope of one inbound call: its deadline (`grpc-timeout`, which grpc-js turns into wall
 * time, `Date.now()` ms, or Infinity for none) moved onto the system clock's monotonic scale,
 * capped by `maxTimeoutMs`; and the W3C trace context in its metadata, extracted only when a
 * propagator is registered. Undefined when there is neither, so a call without them pays for
 * nothing but this check.
 */
function inboundEntry(
  deadline: Deadline,
  metadata: Metadata | undefined,
  maxTimeoutMs: number | undefined,
): Enter | undefined {
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  const traced =
    metadata !== undefined && propagation.fields().length > 0
      ? propagation.extract(context.active(), metadata, metadataGetter)
      : undefined;
  if (!(at < Number.POSITIVE_INFINITY)) {
    return traced === undefined ? undefined : (fn) => context.with(traced, fn);
  }
  let remaining = at - Date.now();
  if (maxTimeoutMs !== undefined && remaining > maxTimeoutMs) remaining = maxTimeoutMs;
  const scope = { deadline: systemClock.now() + remaining };
  return traced === undefined
    ? (fn) => runWithInbound(scope, fn)
    : (fn) => runWithInbound(scope, () => context.with(traced, fn));
}

/** What the wrappers need of a grpc-js server call (every kind has these). */
interface SurfaceCall {
  getDeadline(): Deadline;
  readonly metadata?: Metadata;
  emit(event: string | symbol, ...args: unknown[]): boolean;
}

function isSurfaceCall(value: unknown): value is SurfaceCall {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<SurfaceCall>).getDeadline === 'function' &&
    typeof (value as Partial<SurfaceCall>).emit === 'function'
  );
}

/**
 * `handler` entered into the call's scope. Its events ('data', 'end', 'cancelled', 'drain' ...)
 * are emitted inside the scope too: grpc-js emits them from the HTTP/2 stream's callbacks,
 * whose async context is the server's, not the handler's, so a listener registered inside the
 * handler would otherwise run outside it. Promise and timer continuations need nothing: they
 * keep the context they were created in.
 */
function wrapHandler(
  handler: (...args: unknown[]) => unknown,
  maxTimeoutMs: number | undefined,
  self: unknown,
): (...args: unknown[]) => unknown {
  return function inboundHandler(this: unknown, ...args: unknown[]): unknown {
    const call = args[0];
    const target = self ?? this;
    if (!isSurfaceCall(call)) return Reflect.apply(handler, target, args);
    const enter = inboundEntry(call.getDeadline(), call.metadata, maxTimeoutMs);
    if (enter === undefined) return Reflect.apply(handler, target, args);
    const emit = call.emit;
    call.emit = function scopedEmit(this: unknown, ...event: unknown[]) {
      return enter(() => Reflect.apply(emit, this, event) as boolean);
    };
    return enter(() => Reflect.apply(handler, target, args));
  };
}

/**
 * Wraps one grpc-js handler of any kind (unary, server-streaming, client-streaming, bidi) so
 * that the inbound deadline (`grpc-timeout`) and W3C trace context apply to the whole of it,
 * across awaits and in its stream events: every Outrigger call made while handling the call is
 * capped by that deadline and sends the rest of it on.
 */
export function withInboundHandler<H extends UntypedHandleCall>(
  handler: H,
  options?: InboundOptions,
): H {
  const maxTimeoutMs = checkInboundOptions('withInboundHandler()', options);
  if (typeof handler !== 'function') {
    throw new ConfigInvalidError({
      setting: 'withInboundHandler() handler',
      value: handler,
      expected: 'a grpc-js handler function (call) or (call, callback)',
    });
  }
  return wrapHandler(handler as (...args: unknown[]) => unknown, maxTimeoutMs, undefined) as H;
}

/**
 * Wraps every handler of a service implementation: `server.addService(def,
 * withInboundService(impl))`. Methods of a class instance count too (found up its prototype
 * chain) and still run with the instance as `this`. Other properties read through.
 */
export function withInboundService<T extends object>(
  implementation: T,
  options?: InboundOptions,
): T {
  const maxTimeoutMs = checkInboundOptions('withInboundService()', options);
  if (typeof implementation !== 'object' || implementation === null) {
    throw new ConfigInvalidError({
      setting: 'withInboundService() implementation',
      value: implementation,
      expected: 'a service implementation object of handler functions',
    });
  }
  const wrapped = Object.create(implementation) as Record<string, unknown>;
  for (let level: object | null = implementation; level !== null; ) {
    if (level === Object.prototype) break;
    for (const name of Object.getOwnPropertyNames(level)) {
      if (name === 'constructor' || Object.hasOwn(wrapped, name)) continue;
      const value = (implementation as Record<string, unknown>)[name];
      if (typeof value !== 'function') continue;
      wrapped[name] = wrapHandler(
        value as (...args: unknown[]) => unknown,
        maxTimeoutMs,
        implementation,
      );
    }
    level = Object.getPrototypeOf(level) as object | null;
  }
  return wrapped as T;
}

/**
 * A server interceptor doing the same for every method of a server:
 * `new Server({ interceptors: [inboundServerInterceptor()] })`. grpc-js calls the handler from
 * inside the listener events that pass through interceptors, synchronously, so each event is
 * entered into the scope on its way to the handler. Put it first in the list: events reach the
 * interceptors listed after it (and the handler) inside the scope.
 */
export function inboundServerInterceptor(options?: InboundOptions): ServerInterceptor {
  const maxTimeoutMs = checkInboundOptions('inboundServerInterceptor()', options);
  return (_method, call) => new InboundInterceptingCall(call, maxTimeoutMs);
}

/**
 * Overrides `start`, not a responder's `start(next)`: the listener it is given is the
 * handler's side in full, `onCancel` included, which the builder API only lets one observe.
 */
class InboundInterceptingCall extends ServerInterceptingCall {
  readonly #call: ServerInterceptingCallInterface;
  readonly #maxTimeoutMs: number | undefined;

  constructor(call: ServerInterceptingCallInterface, maxTimeoutMs: number | undefined) {
    super(call);
    this.#call = call;
    this.#maxTimeoutMs = maxTimeoutMs;
  }

  override start(listener: InterceptingServerListener): void {
    const call = this.#call;
    const maxTimeoutMs = this.#maxTimeoutMs;
    // Known once the metadata arrives, which is the first event; later ones reuse it.
    let enter: Enter | undefined;
    super.start({
      onReceiveMetadata(metadata) {
        enter = inboundEntry(call.getDeadline(), metadata, maxTimeoutMs);
        if (enter === undefined) listener.onReceiveMetadata(metadata);
        else enter(() => listener.onReceiveMetadata(metadata));
      },
      onReceiveMessage(message) {
        if (enter === undefined) listener.onReceiveMessage(message);
        else enter(() => listener.onReceiveMessage(message));
      },
      onReceiveHalfClose() {
        if (enter === undefined) listener.onReceiveHalfClose();
        else enter(() => listener.onReceiveHalfClose());
      },
      onCancel() {
        if (enter === undefined) listener.onCancel();
        else enter(() => listener.onCancel());
      },
    });
  }
}

/** `maxTimeoutMs`, checked once when a wrapper is made, never per call. */
function checkInboundOptions(where: string, options: unknown): number | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ConfigInvalidError({
      setting: `${where} options`,
      value: Array.isArray(options) ? '(an array)' : options,
      expected: `an options object { ${OPTION_KEYS.join(', ')} }`,
    });
  }
  for (const key of Object.keys(options)) {
    if ((OPTION_KEYS as readonly string[]).includes(key)) continue;
    throw unknownOptionError({
      path: key,
      value: (options as Record<string, unknown>)[key],
      valid: OPTION_KEYS,
      owner: where,
      setting: `${where} ${key}`,
    });
  }
  const { maxTimeoutMs } = options as InboundOptions;
  if (maxTimeoutMs === undefined) return undefined;
  if (typeof maxTimeoutMs !== 'number' || !(maxTimeoutMs > 0)) {
    throw new ConfigInvalidError({
      setting: `${where} maxTimeoutMs`,
      value: maxTimeoutMs,
      expected: 'a number of milliseconds greater than 0 (Infinity for no cap)',
    });
  }
  return maxTimeoutMs;
}
