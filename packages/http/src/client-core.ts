import {
  CallContext,
  type CallInit,
  ClientClosedError,
  type Disposer,
  REQUEST_INFO,
  RequestInvalidError,
} from '@outrigger/core';
import {
  CALL_OPTIONS,
  type DirectService,
  directOf,
  InFlight,
  type Outcome,
  type Settler,
} from '@outrigger/core/internal';
import type { HttpAttempt } from './attempt.js';
import { createHttpChain, type HttpChain } from './chain.js';
import { createHttpClassifier } from './classify.js';
import { type HttpClientOptions, resolveTransport, type TransportSettings } from './options.js';
import { isIdempotentMethod, type OutboundRequest } from './outbound.js';
import { type EndpointDispatcher, EndpointPools } from './pools.js';
import { RESPONSE_BODIES } from './response-body.js';
import { httpTransport } from './transport.js';
import { registerHeaderName } from './undici-internals.js';

/** Per-call overrides, shared by `fetch` init and `request` options. */
export interface CallOverrides {
  /** Total deadline of this call in ms; can shorten, never extend, an inbound deadline. */
  timeout?: number | undefined;
  /** Marks a POST/PATCH safe to retry (or a GET unsafe, with `false`). */
  idempotent?: boolean | undefined;
  /** `false`: no retries and no hedging for this call. */
  retry?: false | undefined;
  /** Key for consistent-hash balancing (affinity: the same key goes to the same endpoint). */
  hashKey?: string | undefined;
  /** Headers that routes match on but that are not sent. */
  routeHeaders?: Readonly<Record<string, string>> | undefined;
}

/**
 * One call of a facade (`fetch`, `request`, the interceptor), and the settler its chain tells.
 * `ClientCore.start` counts it in flight; its outcome uncounts it, then goes to `complete`.
 */
export abstract class ClientCall implements Settler<HttpAttempt> {
  readonly #core: ClientCore;
  /** The call's root context, set by `ClientCore.start` before the chain runs. */
  ctx: CallContext | undefined = undefined;

  constructor(core: ClientCore) {
    this.#core = core;
  }

  settle(outcome: Outcome<HttpAttempt>): void {
    this.#core.settled();
    this.complete(outcome);
  }

  /** The chain's outcome, once: the facade turns it into what its caller gets. */
  protected abstract complete(outcome: Outcome<HttpAttempt>): void;
}

/**
 * What the facades share: the chain, the pools, and `start`, the one way a call enters: it makes
 * the call's root context and counts the call in flight until it settles, which `close()` waits
 * for.
 */
export class ClientCore {
  readonly service: string;
  readonly settings: TransportSettings;
  readonly chain: HttpChain;
  /** The chain's direct form, told the facade's `ClientCall` as its settler. */
  readonly #direct: DirectService<OutboundRequest, HttpAttempt>;
  /** The client's own pools; undefined for the interceptor, whose attempts go downstream. */
  readonly pools: EndpointPools | undefined;
  readonly #unsubscribe: Disposer | undefined;
  readonly #inFlight = new InFlight();
  /** `timeout.totalMs`; undefined when deadlines are off (`timeout: false`). */
  readonly #totalMs: number | undefined;
  /** A per-try timeout is set: attempts' deadlines may be shorter than the call's. */
  readonly #perTry: boolean;

  constructor(options: HttpClientOptions, downstream?: EndpointDispatcher) {
    const draft = resolveTransport(options, undefined);
    const pools = downstream ? undefined : new EndpointPools(draft);
    const classifier = createHttpClassifier(draft.classifyResponse);
    const transport = httpTransport((downstream ?? pools)!, draft, RESPONSE_BODIES);
    this.chain = createHttpChain(options, transport, classifier);
    this.#direct = directOf(this.chain.call);
    this.service = this.chain.config.service;
    const total = this.chain.config.timeout ? this.chain.config.timeout.totalMs : undefined;
    this.#totalMs = total;
    this.#perTry =
      this.chain.config.timeout !== false && this.chain.config.timeout.perTryMs !== undefined;
    this.settings = resolveTransport(options, total);
    if (this.settings.deadlineHeader !== undefined)
      registerHeaderName(this.settings.deadlineHeader);
    this.pools = pools;
    pools?.configure(this.settings, this.chain.events);
    this.#unsubscribe = pools && this.chain.discovery.subscribe(this.service, pools);
  }

  /**
   * Starts one call: its root context (set on `call.ctx`), counted in flight until `call` is
   * settled. `abortable` gives the call a token of its own for a caller that aborts it without a
   * signal (the interceptor). Throws, before anything is counted or sent, for a closed client
   * or a bad override.
   */
  start(
    call: ClientCall,
    req: OutboundRequest,
    signal: AbortSignal | null | undefined,
    o: CallOverrides | undefined,
    abortable = false,
  ): void {
    const ctx = this.#context(req, signal, o, abortable);
    call.ctx = ctx;
    this.#inFlight.enter();
    this.#direct(req, ctx, call);
  }

  #context(
    req: OutboundRequest,
    signal: AbortSignal | null | undefined,
    o: CallOverrides | undefined,
    abortable = false,
  ): CallContext {
    if (this.#inFlight.closing) throw new ClientClosedError(this.service);
    const idempotent =
      o?.idempotent ??
      (isIdempotentMethod(req.method) || req.header('idempotency-key') !== undefined);
    const init: CallInit = {
      signal: signal ?? undefined,
      service: this.service,
      operation: req.method,
      idempotent,
    };
    let ctx = abortable
      ? CallContext.root(init).with(REQUEST_INFO, req)
      : CallContext.entry(init, REQUEST_INFO, req);
    const noRetry = o?.retry === false || !req.replayable;
    if (noRetry || o?.timeout !== undefined || o?.hashKey !== undefined) {
      if (o?.timeout !== undefined && !(o.timeout > 0 && Number.isFinite(o.timeout))) {
        throw new RequestInvalidError({
          service: this.service,
          input: o.timeout,
          what: `timeout=${String(o.timeout)} for this call is not valid`,
          problem: 'a call timeout is a positive number of milliseconds',
          fix: "pass, say, timeout: 500, or leave it out for the client's timeout.totalMs",
        });
      }
      ctx = ctx.with(CALL_OPTIONS, {
        timeoutMs: o?.timeout,
        retry: noRetry ? false : undefined,
        hashKey: o?.hashKey,
      });
    }
    // The total deadline the chain will set, for the body that outlives the chain (decision 0043).
    if (this.#totalMs !== undefined) req.holdTo(ctx, o?.timeout ?? this.#totalMs, this.#perTry);
    return ctx;
  }

  /** The call's chain settled (its body may still be streaming; the pools wait for that). */
  settled(): void {
    this.#inFlight.leave();
  }

  /** Refuses new calls, waits for those in flight, then frees discovery, timers and sockets. */
  close(): Promise<void> {
    return this.#inFlight.close(async () => {
      this.#unsubscribe?.();
      await this.chain.close();
      await this.pools?.close();
    });
  }
}
