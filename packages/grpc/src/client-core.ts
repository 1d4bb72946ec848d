import type { CallOptions } from '@grpc/grpc-js';
import {
  buildChain,
  CallContext,
  type Chain,
  ClientClosedError,
  ConfigInvalidError,
  type Discovery,
  type Disposer,
  REQUEST_INFO,
} from '@outrigger/core';
import { type DirectService, directOf, InFlight, type Settler } from '@outrigger/core/internal';
import type { GrpcAttempt } from './attempt.js';
import { EndpointChannels } from './channels.js';
import { createGrpcClassifier } from './classify.js';
import { healthGate } from './health.js';
import { type MethodInfo, readMethods } from './methods.js';
import {
  GRPC_OPTION_KEYS,
  type GrpcClientOptions,
  type GrpcTransportSettings,
  resolveGrpcTransport,
} from './options.js';
import type { GrpcRequest } from './request.js';
import { grpcTelemetry } from './telemetry.js';
import { grpcTransport } from './transport.js';

export type GrpcChain = Chain<GrpcRequest, GrpcAttempt>;

/**
 * What every call of one client shares: the methods read from the generated constructor, the
 * chain, the channels, and `start`, the one way a call enters: it makes the call's request and
 * root context and counts the call in flight until its `end`, which `close()` waits for.
 */
export class GrpcClientCore {
  readonly service: string;
  readonly settings: GrpcTransportSettings;
  readonly methods: Map<string, MethodInfo>;
  readonly chain: GrpcChain;
  readonly channels: EndpointChannels;
  readonly #direct: DirectService<GrpcRequest, GrpcAttempt>;
  readonly #unsubscribe: Disposer;
  /** `timeout.totalMs`; undefined when deadlines are off. */
  readonly #totalMs: number | undefined;
  readonly #inFlight = new InFlight();

  constructor(ctor: unknown, options: GrpcClientOptions) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new ConfigInvalidError({
        setting: 'createGrpcClient(ClientConstructor, options)',
        value: String(options),
        expected:
          "an options object such as { service: 'payments', discovery: ['10.0.0.1:50051'] }",
      });
    }
    const settings = resolveGrpcTransport(options);
    const channels = new EndpointChannels(settings);
    let named: Discovery | undefined;
    this.chain = buildChain<GrpcRequest, GrpcAttempt>({
      options,
      extraKeys: GRPC_OPTION_KEYS,
      transport: grpcTransport(channels),
      classifier: createGrpcClassifier(options.classifyStatus),
      telemetry: grpcTelemetry,
      wrapDiscovery: (discovery) => {
        named = discovery;
        const checkService = settings.healthService;
        if (checkService === undefined) return discovery;
        return healthGate(discovery, {
          checkService,
          channelFor: (endpoint) => channels.channelFor(endpoint),
        });
      },
    });
    this.service = this.chain.config.service;
    try {
      this.methods = readMethods(ctor, this.service, settings.idempotent, options.methods);
    } catch (error) {
      void this.chain.close();
      throw error;
    }
    this.settings = settings;
    this.channels = channels;
    this.#direct = directOf(this.chain.call);
    const timeout = this.chain.config.timeout;
    this.#totalMs = timeout === false ? undefined : timeout.totalMs;
    // Channels follow every endpoint discovery names, healthy or not: a health watch runs on
    // the channel of an endpoint the gate holds back.
    this.#unsubscribe = named!.subscribe(this.service, channels);
    settings.tlsFiles?.start(this.service, this.chain.events);
  }

  /**
   * Starts one call: its root context with the caller's deadline (a Date or ms since the epoch,
   * only ever shrinking Outrigger's), counted in flight until `finished()`. Throws for a closed
   * client, before anything is counted or sent.
   */
  start(
    req: GrpcRequest,
    settler: Settler<GrpcAttempt>,
    deadline: CallOptions['deadline'],
  ): CallContext {
    if (this.#inFlight.closing) throw new ClientClosedError(this.service);
    const info = req.info;
    const ctx = CallContext.root(
      {
        service: this.service,
        operation: info.path,
        idempotent: info.idempotent,
        deadline: deadline === undefined ? undefined : clockDeadline(deadline),
      },
      REQUEST_INFO,
      req,
    );
    // The call's total deadline, which every attempt sends on the wire (see GrpcAttempt).
    req.deadline =
      this.#totalMs === undefined
        ? ctx.deadline
        : Math.min(ctx.deadline, ctx.clock.now() + this.#totalMs);
    this.#inFlight.enter();
    this.#direct(req, ctx, settler);
    return ctx;
  }

  /** A call started by `start` has ended (its status delivered to the caller). */
  finished(): void {
    this.#inFlight.leave();
  }

  /** Refuses new calls, waits for those in flight, then closes discovery and every channel. */
  close(): Promise<void> {
    return this.#inFlight.close(async () => {
      this.#unsubscribe();
      await this.chain.close();
      this.channels.close();
      this.settings.tlsFiles?.close();
    });
  }
}

/** A grpc-js deadline (Date or ms since the epoch) on the system clock's monotonic scale. */
function clockDeadline(deadline: Date | number): number {
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  if (typeof at !== 'number' || Number.isNaN(at)) {
    throw new TypeError(
      `options.deadline must be a Date or a number of ms since the epoch, got ${String(deadline)}`,
    );
  }
  if (at === Number.POSITIVE_INFINITY) return at;
  return performance.now() + (at - Date.now());
}
