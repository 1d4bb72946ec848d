/**
 * `outriggerInterceptor()`: the policy chain as a grpc-js client interceptor, for a caller who
 * keeps their own channel. (Longer than ~200 lines: the call, its attempts and the small core
 * they share are one protocol, read together; splitting them would put each half of a
 * handshake in another file.)
 */
import {
  type Deadline,
  InterceptingCall,
  type InterceptingListener,
  type Interceptor,
  type InterceptorOptions,
  Metadata,
  type NextCall,
  propagate,
  type StatusObject,
} from '@grpc/grpc-js';
import {
  type AbortListener,
  abortError,
  buildChain,
  CallContext,
  type Chain,
  ClientClosedError,
  type ClientOptions,
  ConfigInvalidError,
  type EffectiveConfig,
  REQUEST_INFO,
  type RequestInfo,
} from '@outrigger/core';
import {
  CALL_OPTIONS,
  type DirectService,
  directOf,
  directService,
  failedWith,
  honoursCancellation,
  InFlight,
  type Outcome,
  type Settler,
  succeeded,
} from '@outrigger/core/internal';
import { createGrpcClassifier, type StatusClassifier } from './classify.js';
import { attemptMetadata } from './metadata-propagation.js';
import {
  type CallKind,
  isMethodOptions,
  METHOD_OPTIONS_FORM,
  type MethodOptions,
} from './methods.js';
import { cancelledError, isServiceError, toServiceError } from './service-error.js';
import { GrpcStatus } from './status.js';
import { type RpcNames, rpcNamesOf, rpcTelemetry } from './telemetry.js';
import { wireDeadline } from './wire-deadline.js';

/**
 * The shared client options, less those that place calls (the channel you built picks the
 * endpoint), plus how to judge and replay calls.
 */
export interface OutriggerInterceptorOptions
  extends Omit<
    ClientOptions,
    'discovery' | 'balancer' | 'outlierDetection' | 'zone' | 'discoveryInitialWaitMs'
  > {
  /** Whether a method is safe to send twice when `methods` does not say. Default true. */
  idempotent?: boolean | undefined;
  /** Per-method settings, by full path (`/pkg.Service/Method`) or method name (`Method`). */
  methods?: Readonly<Record<string, MethodOptions>> | undefined;
  /** Your own status rules, consulted first (for example: retry ABORTED). */
  classifyStatus?: StatusClassifier | undefined;
}

/** A grpc-js interceptor with the chain's lifecycle on it. */
export interface OutriggerInterceptor extends Interceptor {
  /** Refuses new calls (CANCELLED, `CLIENT_CLOSED` as cause), waits for those in flight. */
  close(): Promise<void>;
  describe(): string;
  readonly config: EffectiveConfig;
}

const OWN_KEYS = ['idempotent', 'methods', 'classifyStatus'] as const;
/** Options that place calls, which a channel of the caller's does itself. */
const PLACEMENT_KEYS = ['discovery', 'balancer', 'routes', 'zone', 'discoveryInitialWaitMs'];
const NO_RETRY = Object.freeze({ retry: false as const });

/**
 * `new Ctor(address, creds, { interceptors: [outriggerInterceptor({ service: 'payments' })] })`.
 * Every call through the channel goes through the default chain without its placement
 * positions (the channel picks the endpoint): the total deadline (capped by the call's own
 * `deadline`, its parent's and the inbound request's, and sent on the wire), budgeted retries,
 * the per-try timeout, breaker, bulkhead, rate limit and fault injection, judged by the gRPC
 * classifier. Unary and server-streaming calls are retried by re-issuing the buffered request
 * message and metadata through `nextCall`; a server-streaming call never once a response
 * message went to the caller. Client-streaming and bidi calls get the deadline, breaker,
 * bulkhead and rate limit but are never retried nor hedged (the request stream is not kept).
 * Telemetry as for `createGrpcClient`: a CLIENT span per call, one per attempt, each
 * attempt's metadata naming its span, and the `rpc.client.duration` histogram.
 * Refusals end the call with their status (UNAVAILABLE, RESOURCE_EXHAUSTED, ...) and the
 * Outrigger error as the ServiceError's `cause`; the caller's `cancel()` reaches the attempt on
 * the wire. Interceptors after this one in the list run once per attempt.
 */
export function outriggerInterceptor(options: OutriggerInterceptorOptions): OutriggerInterceptor {
  const core = new InterceptorCore(options);
  const interceptor = (callOptions: InterceptorOptions, nextCall: NextCall): InterceptingCall =>
    new InterceptingCall(new OutriggerCall(core, callOptions, nextCall));
  return Object.assign(interceptor, {
    close: () => core.close(),
    describe: () => core.chain.describe(),
    config: core.chain.config,
  });
}

/** What every call through one interceptor shares: the chain, the settings, the calls in flight. */
class InterceptorCore {
  readonly chain: Chain<OutriggerCall, Attempt>;
  readonly service: string;
  readonly #direct: DirectService<OutriggerCall, Attempt>;
  readonly #totalMs: number | undefined;
  readonly #idempotent: boolean;
  readonly #methods: Readonly<Record<string, MethodOptions>> | undefined;
  readonly #idempotentByPath = new Map<string, boolean>();
  readonly #inFlight = new InFlight();

  constructor(options: OutriggerInterceptorOptions) {
    checkOptions(options);
    this.chain = buildChain<OutriggerCall, Attempt>({
      options: options as ClientOptions,
      extraKeys: OWN_KEYS,
      without: ['route + balancer', 'outlier-detection'],
      transport: honoursCancellation(directService(send)),
      classifier: createGrpcClassifier(options.classifyStatus),
      telemetry: interceptorTelemetry,
    });
    this.service = this.chain.config.service;
    this.#direct = directOf(this.chain.call);
    const timeout = this.chain.config.timeout;
    this.#totalMs = timeout === false ? undefined : timeout.totalMs;
    this.#idempotent = options.idempotent ?? true;
    this.#methods = options.methods;
  }

  /** The root context of a call: the caller's deadlines, the request, and no retry if it streams. */
  contextFor(call: OutriggerCall, callerDeadline: number): CallContext {
    let ctx = CallContext.root(
      {
        service: this.service,
        operation: call.path,
        idempotent: this.#idempotentFor(call.path),
        deadline: callerDeadline,
      },
      REQUEST_INFO,
      call as RequestInfo,
    );
    if (call.kind === 'clientStream' || call.kind === 'bidi')
      ctx = ctx.with(CALL_OPTIONS, NO_RETRY);
    const total = this.#totalMs === undefined ? ctx.deadline : ctx.clock.now() + this.#totalMs;
    call.deadline = Math.min(ctx.deadline, total);
    return ctx;
  }

  /** Runs the call through the chain, counted in flight until `finished()`. */
  run(call: OutriggerCall, ctx: CallContext): void {
    if (this.#inFlight.closing) {
      call.settle(failedWith(new ClientClosedError(this.service)));
      return;
    }
    this.#inFlight.enter();
    call.counted = true;
    this.#direct(call, ctx, call);
  }

  finished(): void {
    this.#inFlight.leave();
  }

  close(): Promise<void> {
    return this.#inFlight.close(() => this.chain.close());
  }

  #idempotentFor(path: string): boolean {
    let known = this.#idempotentByPath.get(path);
    if (known === undefined) {
      const methods = this.#methods;
      const own = methods?.[path] ?? methods?.[path.slice(path.lastIndexOf('/') + 1)];
      known = own?.idempotent ?? this.#idempotent;
      this.#idempotentByPath.set(path, known);
    }
    return known;
  }
}

/** The transport: one attempt through the rest of the caller's interceptor stack. */
const send: DirectService<OutriggerCall, Attempt> = (call, ctx, settler) => {
  if (ctx.aborted) return settler.settle(failedWith(abortError(ctx)));
  if (call.committed) {
    return settler.settle(failedWith(new Error(`${ctx.service}: the call is committed`)));
  }
  new Attempt(call, ctx, settler).start();
};

type NextLayer = ReturnType<NextCall>;
type MessageContext = Parameters<NextLayer['sendMessageWithContext']>[0];
type Listener = InterceptingListener;
type CallState = 'idle' | 'running' | 'settled' | 'ended';

const NO_LISTENER: Listener = {
  onReceiveMetadata() {},
  onReceiveMessage() {},
  onReceiveStatus() {},
};

/**
 * One call as the caller's client sees it (the layer under grpc-js's `InterceptingCall`), and
 * the request the chain carries (`RequestInfo`, with `committed` for the classifier).
 */
class OutriggerCall implements NextLayer, RequestInfo, Settler<Attempt> {
  readonly method = 'POST';
  readonly path: string;
  readonly kind: CallKind;
  readonly options: InterceptorOptions;
  readonly nextCall: NextCall;
  /** The total deadline on the chain's clock: what a streaming response is held to on the wire. */
  deadline = Number.POSITIVE_INFINITY;
  /** A response message went to the caller: no attempt may start again. */
  committed = false;
  /** Counted in flight by the core. */
  counted = false;
  metadata = new Metadata();
  message: unknown;
  #messageContext: MessageContext | undefined;
  readonly #core: InterceptorCore;
  readonly #ctx: CallContext;
  #listener: Listener = NO_LISTENER;
  #state: CallState = 'idle';
  #starting = false;
  /** The attempt on the wire (the last started), and the one the call is committed to. */
  #current: Attempt | undefined;
  #winner: Attempt | undefined;
  /** Streaming requests: writes before the attempt could take them, and the half-close. */
  #writes: [MessageContext, unknown][] | undefined;
  #halfClosed = false;
  #writer: NextLayer | undefined;
  /** How the caller (or the parent call) ended the call themselves. */
  #override: StatusObject | undefined;
  #parentCancelled: (() => void) | undefined;

  constructor(core: InterceptorCore, options: InterceptorOptions, nextCall: NextCall) {
    const definition = options.method_definition;
    this.#core = core;
    this.options = options;
    this.nextCall = nextCall;
    this.path = definition.path;
    this.kind = definition.requestStream
      ? definition.responseStream
        ? 'bidi'
        : 'clientStream'
      : definition.responseStream
        ? 'serverStream'
        : 'unary';
    this.#ctx = core.contextFor(this, callerDeadline(options));
  }

  get streamsResponse(): boolean {
    return this.kind === 'serverStream' || this.kind === 'bidi';
  }

  header(name: string): string | undefined {
    const values = this.metadata.get(name.toLowerCase());
    if (values.length === 0) return undefined;
    return values.map((v) => (typeof v === 'string' ? v : v.toString('base64'))).join(', ');
  }

  start(metadata: Metadata, listener?: Partial<Listener>): void {
    this.metadata = metadata;
    this.#listener = {
      onReceiveMetadata:
        listener?.onReceiveMetadata?.bind(listener) ?? NO_LISTENER.onReceiveMetadata,
      onReceiveMessage: listener?.onReceiveMessage?.bind(listener) ?? NO_LISTENER.onReceiveMessage,
      onReceiveStatus: listener?.onReceiveStatus?.bind(listener) ?? NO_LISTENER.onReceiveStatus,
    };
    this.#followParent();
    // A unary request starts at its half-close, once its one message is known.
    if (this.kind === 'clientStream' || this.kind === 'bidi') this.#run();
  }

  sendMessageWithContext(context: MessageContext, message: unknown): void {
    if (this.kind === 'unary' || this.kind === 'serverStream') {
      this.message = message;
      this.#messageContext = context;
    } else if (this.#state === 'ended') context.callback?.();
    else if (this.#writer) this.#writer.sendMessageWithContext(context, message);
    else {
      this.#writes ??= [];
      this.#writes.push([context, message]);
    }
  }

  sendMessage(message: unknown): void {
    this.sendMessageWithContext({}, message);
  }

  halfClose(): void {
    if (this.kind === 'unary' || this.kind === 'serverStream') this.#run();
    else if (this.#state === 'ended') return;
    else if (this.#writer) this.#writer.halfClose();
    else this.#halfClosed = true;
  }

  startRead(): void {
    // Before commit an attempt reads its first message itself; after, the caller paces reads.
    this.#winner?.startRead();
  }

  cancelWithStatus(code: number, details: string): void {
    if (this.#state === 'ended' || this.#override) return;
    this.#override = { code, details, metadata: new Metadata() };
    if (this.#winner) this.#winner.cancel(code, details);
    else if (this.#state === 'running') this.#ctx.cancellation.abort(cancelledError());
    else if (this.#state === 'idle') {
      this.#state = 'settled';
      process.nextTick(() => this.finish(this.#override!));
    }
  }

  getPeer(): string {
    return this.#current?.peer() ?? 'unknown';
  }

  getAuthContext(): ReturnType<NextLayer['getAuthContext']> {
    return this.#current?.authContext() ?? null;
  }

  /** The caller's context for the request message, to the first attempt only (its callback). */
  takeMessageContext(): MessageContext {
    const context = this.#messageContext ?? {};
    this.#messageContext = undefined;
    return context;
  }

  /** A streaming request's attempt takes what was written so far, and every later write. */
  attach(attempt: Attempt, next: NextLayer): void {
    this.#current = attempt;
    if (this.kind === 'unary' || this.kind === 'serverStream') return;
    this.#writer = next;
    const writes = this.#writes;
    this.#writes = undefined;
    if (writes)
      for (const [context, message] of writes) next.sendMessageWithContext(context, message);
    if (this.#halfClosed) next.halfClose();
  }

  /** The chain's outcome: an attempt won, or the call failed. */
  settle(outcome: Outcome<Attempt>): void {
    if (this.#state !== 'running') return;
    this.#state = 'settled';
    // grpc-js never reports a call's end inside the call that starts it; neither do we.
    if (this.#starting) process.nextTick(() => this.#deliver(outcome));
    else this.#deliver(outcome);
  }

  /** Hands the winner's response to the caller, which `finish` ends. */
  get listener(): Listener {
    return this.#listener;
  }

  /** The call is over: its status goes to the caller, once. */
  finish(status: StatusObject): void {
    if (this.#state === 'ended') return;
    this.#state = 'ended';
    if (this.counted) this.#core.finished();
    const parent = this.options.parent as NodeJS.EventEmitter | undefined;
    if (this.#parentCancelled) parent?.removeListener('cancelled', this.#parentCancelled);
    const writes = this.#writes;
    this.#writes = undefined;
    if (writes) for (const [context] of writes) context.callback?.();
    this.#listener.onReceiveStatus(status);
  }

  #run(): void {
    if (this.#state !== 'idle') return;
    this.#state = 'running';
    this.#starting = true;
    try {
      this.#core.run(this, this.#ctx);
    } finally {
      this.#starting = false;
    }
  }

  #deliver(outcome: Outcome<Attempt>): void {
    const override = this.#override;
    if (override) {
      if (outcome.ok) outcome.value.cancel(override.code, override.details);
      this.finish(override);
      return;
    }
    if (outcome.ok) {
      this.#winner = outcome.value;
      outcome.value.receive(this);
      return;
    }
    const error = outcome.error;
    if (error instanceof AttemptFailed) {
      if (error.headers) this.#listener.onReceiveMetadata(error.headers);
      this.finish({ code: error.code, details: error.details, metadata: error.metadata });
      return;
    }
    // A refusal: its status, and the error itself as the ServiceError's `cause` (grpc-js
    // copies every field of the status onto the error it hands the caller).
    const serviceError = toServiceError(error);
    const status: StatusObject & { cause?: unknown } = {
      code: serviceError.code,
      details: serviceError.details,
      metadata: serviceError.metadata,
    };
    if (!isServiceError(error)) status.cause = error;
    this.finish(status);
  }

  /** grpc-js cancels a call whose parent server call is cancelled; so does the whole chain. */
  #followParent(): void {
    const parent = this.options.parent;
    const flags = this.options.propagate_flags ?? propagate.DEFAULTS;
    if (!parent || (flags & propagate.CANCELLATION) === 0) return;
    this.#parentCancelled = () =>
      this.cancelWithStatus(GrpcStatus.CANCELLED, 'Cancelled by parent call');
    if (parent.cancelled) this.#parentCancelled();
    else (parent as NodeJS.EventEmitter).once('cancelled', this.#parentCancelled);
  }
}

/** The caller's `deadline`, and their parent call's, on the system clock's monotonic scale. */
function callerDeadline(options: InterceptorOptions): number {
  let deadline = toClock(options.deadline);
  const parent = options.parent;
  const flags = options.propagate_flags ?? propagate.DEFAULTS;
  if (parent && (flags & propagate.DEADLINE) !== 0) {
    deadline = Math.min(deadline, toClock(parent.getDeadline()));
  }
  return deadline;
}

function toClock(deadline: Deadline | undefined): number {
  if (deadline === undefined) return Number.POSITIVE_INFINITY;
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  if (typeof at !== 'number' || Number.isNaN(at)) {
    throw new TypeError(`deadline must be a Date or ms since the epoch, got ${String(deadline)}`);
  }
  if (at === Number.POSITIVE_INFINITY) return at;
  return performance.now() + (at - Date.now());
}

/** Method names per path, made once: a channel serves a handful of methods. */
const namesByPath = new Map<string, RpcNames>();

const interceptorTelemetry = rpcTelemetry<OutriggerCall, Attempt>(
  (call) => {
    let names = namesByPath.get(call.path);
    if (names === undefined) {
      names = rpcNamesOf(call.path);
      if (namesByPath.size < 10_000) namesByPath.set(call.path, names);
    }
    return names;
  },
  (attempt) => attempt.statusCode,
);

/** An attempt's non-OK status as grpc-js would report it, with the headers that came before. */
class AttemptFailed extends Error {
  readonly code: number;
  readonly details: string;
  readonly metadata: Metadata;
  readonly headers: Metadata | undefined;

  constructor(status: StatusObject, headers: Metadata | undefined) {
    super(`${status.code} ${statusName(status.code)}: ${status.details}`);
    this.name = 'AttemptFailed';
    this.code = status.code;
    this.details = status.details;
    this.metadata = status.metadata;
    this.headers = headers;
  }
}

/**
 * One attempt through `nextCall`: the listener of its layer below. It settles at its status, or
 * for a streaming response at its first message, which commits the call (gRFC A6: a caller who
 * has seen a message is never retried). Until it settles it listens on the context's
 * cancellation (deadline, the caller's `cancel()`), which cancels it on the wire.
 */
class Attempt implements Listener, AbortListener {
  readonly #call: OutriggerCall;
  readonly #ctx: CallContext;
  #settler: Settler<Attempt> | undefined;
  #next: NextLayer | undefined;
  #headers: Metadata | undefined;
  /** Messages that came before the caller took the response (a unary response is one). */
  #messages: unknown[] | undefined;
  #status: StatusObject | undefined;
  #receiver: OutriggerCall | undefined;

  constructor(call: OutriggerCall, ctx: CallContext, settler: Settler<Attempt>) {
    this.#call = call;
    this.#ctx = ctx;
    this.#settler = settler;
  }

  start(): void {
    const call = this.#call;
    const ctx = this.#ctx;
    // The wire gets the call's total deadline: a per-try timeout is this attempt's timer, which
    // cuts it with a retryable TIMEOUT, where grpc-js's own DEADLINE_EXCEEDED would be final
    // (and a committed streaming response lives on to the total deadline).
    let next: NextLayer;
    try {
      next = call.nextCall({ ...call.options, deadline: wireDeadline(call.deadline, ctx) });
    } catch (error) {
      this.#settle(failedWith(error));
      return;
    }
    this.#next = next;
    ctx.cancellation.add(this);
    // Each attempt gets its own metadata, naming its own span in `traceparent`.
    const metadata = attemptMetadata(call.metadata, ctx)!;
    next.start(metadata === call.metadata ? metadata.clone() : metadata, this);
    call.attach(this, next);
    if (call.kind === 'unary' || call.kind === 'serverStream') {
      next.sendMessageWithContext(call.takeMessageContext(), call.message);
      next.halfClose();
    }
    if (call.streamsResponse) next.startRead();
  }

  onReceiveMetadata(metadata: Metadata): void {
    if (this.#receiver) this.#receiver.listener.onReceiveMetadata(metadata);
    else this.#headers = metadata;
  }

  onReceiveMessage(message: unknown): void {
    if (this.#receiver) {
      this.#receiver.listener.onReceiveMessage(message);
      return;
    }
    this.#messages ??= [];
    this.#messages.push(message);
    if (this.#call.streamsResponse && this.#settler) {
      this.#call.committed = true;
      this.#settle(succeeded(this));
    }
  }

  onReceiveStatus(status: StatusObject): void {
    if (this.#receiver) {
      this.#receiver.finish(status);
      return;
    }
    this.#status = status;
    if (this.#settler === undefined) return;
    if (status.code === GrpcStatus.OK) {
      this.#call.committed = true;
      this.#settle(succeeded(this));
    } else {
      this.#settle(failedWith(new AttemptFailed(status, this.#headers)));
    }
  }

  /** The call is committed to this attempt: what came so far goes to the caller, then the rest. */
  receive(call: OutriggerCall): void {
    this.#receiver = call;
    const listener = call.listener;
    if (this.#headers) listener.onReceiveMetadata(this.#headers);
    const messages = this.#messages;
    this.#messages = undefined;
    if (messages) for (const message of messages) listener.onReceiveMessage(message);
    if (this.#status) call.finish(this.#status);
  }

  startRead(): void {
    if (this.#status === undefined) this.#next?.startRead();
  }

  /** OK until a status says otherwise (a streaming response commits at its first message). */
  get statusCode(): number {
    return this.#status?.code ?? GrpcStatus.OK;
  }

  cancel(code: number, details: string): void {
    if (this.#status === undefined) this.#next?.cancelWithStatus(code, details);
  }

  /** Nobody will see this attempt (a hedge's loser): end it on the wire. */
  discard(): void {
    this.cancel(GrpcStatus.CANCELLED, 'Cancelled by Outrigger: another attempt answered first');
  }

  onAbort(): void {
    if (this.#settler === undefined) return;
    const error = abortError(this.#ctx);
    // Settled first: the status the cancel brings back is this attempt's no more.
    this.#settle(failedWith(error));
    this.#next?.cancelWithStatus(GrpcStatus.CANCELLED, `Cancelled by Outrigger: ${error.message}`);
  }

  peer(): string {
    return this.#next?.getPeer() ?? 'unknown';
  }

  authContext(): ReturnType<NextLayer['getAuthContext']> {
    return this.#next?.getAuthContext() ?? null;
  }

  #settle(outcome: Outcome<Attempt>): void {
    const settler = this.#settler;
    if (settler === undefined) return;
    this.#settler = undefined;
    this.#ctx.cancellation.remove(this);
    settler.settle(outcome);
  }
}

function statusName(code: number): string {
  for (const [name, value] of Object.entries(GrpcStatus)) if (value === code) return name;
  return 'UNKNOWN';
}

/** The interceptor's own options; the shared ones are checked by the chain's resolver. */
function checkOptions(options: OutriggerInterceptorOptions): void {
  const service =
    options !== null && typeof options === 'object' && typeof options.service === 'string'
      ? options.service
      : 'outriggerInterceptor';
  const fail = (option: string, value: unknown, expected: string): never => {
    throw new ConfigInvalidError({ setting: `${service}: option ${option}`, value, expected });
  };
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    fail('options', options, "an options object such as { service: 'payments' }");
  }
  const given = options as unknown as Record<string, unknown>;
  for (const key of PLACEMENT_KEYS) {
    if (given[key] !== undefined) {
      fail(
        key,
        given[key],
        'unset: the channel the interceptor is on picks the endpoint (use createGrpcClient for discovery and balancing)',
      );
    }
  }
  if (given.outlierDetection !== undefined && given.outlierDetection !== false) {
    fail(
      'outlierDetection',
      given.outlierDetection,
      'unset or false: there are no endpoints to eject behind one channel',
    );
  }
  if (options.idempotent !== undefined && typeof options.idempotent !== 'boolean') {
    fail('idempotent', options.idempotent, 'true or false');
  }
  if (options.classifyStatus !== undefined && typeof options.classifyStatus !== 'function') {
    fail('classifyStatus', options.classifyStatus, 'a function (code, metadata) => verdict');
  }
  const methods = options.methods;
  if (methods === undefined) return;
  if (methods === null || typeof methods !== 'object' || Array.isArray(methods)) {
    fail(
      'methods',
      String(methods),
      'an object keyed by method, e.g. { Charge: { idempotent: false } }',
    );
  }
  for (const [name, value] of Object.entries(methods)) {
    if (!isMethodOptions(value)) fail(`methods.${name}`, value, METHOD_OPTIONS_FORM);
  }
}
