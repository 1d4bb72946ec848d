import type { CallOptions, Client, ClientUnaryCall, Metadata, ServiceError } from '@grpc/grpc-js';
import type { ClientSnapshot, EffectiveConfig, EventBus, Route } from '@outrigger/core';
import { readArguments } from './arguments.js';
import { GrpcClientCore } from './client-core.js';
import type { MethodInfo } from './methods.js';
import type { GrpcClientOptions } from './options.js';
import {
  BidiStreamCall,
  ClientStreamCall,
  ServerStreamCall,
  serializeRequest,
  UnaryCall,
  UnaryPromise,
} from './surfaces.js';

/** A generated unary method's full form, as grpc-tools and proto-loader-gen-types declare it. */
type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response?: Res) => void,
) => ClientUnaryCall;

/** A unary method: it answers through a callback and returns a call that is not a stream. */
type IsUnary<M> =
  M extends UnaryMethod<never, unknown>
    ? M extends (...args: never[]) => infer R
      ? R extends { read: unknown } | { write: unknown }
        ? false
        : true
      : false
    : false;

/** `client.unary.X(request, metadata?, options?)`: a unary method as a promise. */
export type UnaryPromises<T> = {
  [K in keyof T as IsUnary<T[K]> extends true ? K : never]: T[K] extends UnaryMethod<
    infer Req,
    infer Res
  >
    ? (request: Req, metadata?: Metadata, options?: Partial<CallOptions>) => Promise<Res>
    : never;
};

/** The generated client's own methods (without grpc-js's `Client` housekeeping). */
type GeneratedMethods<T> = { [K in keyof T as K extends keyof Client ? never : K]: T[K] };

/** What `createGrpcClient` returns: the generated client's methods, and Outrigger's. */
export type OutriggerGrpcClient<T> = GeneratedMethods<T> & {
  /**
   * Each unary method as a promise: `await client.unary.SayHello({ name })`. Typed from a typed
   * generated client; loosely for proto-loader's untyped constructors.
   */
  readonly unary: string extends keyof T
    ? Record<string, (...args: unknown[]) => Promise<unknown>>
    : UnaryPromises<T>;
  /** Waits for calls in flight, then closes discovery, health watches and every channel. */
  close(): Promise<void>;
  /** The chain and every setting with where its value came from. */
  describe(): string;
  /**
   * Live state as plain JSON-safe data: endpoints (in flight, EWMA latency, ejections), the
   * breaker and its window, the budget, the bulkhead, the rate limit and the routes. Computed
   * when called; calls pay nothing for it. Positions that are off are `false`.
   */
  snapshot(): ClientSnapshot;
  /**
   * Replaces the routes and traffic splits at run time (same schema as the `routes` option;
   * `CONFIG_INVALID` for a bad table, which leaves the old one in force). Calls in flight finish
   * where they are.
   */
  setRoutes(routes: readonly Route[]): void;
  readonly config: EffectiveConfig;
  /** Policy events (`retry.scheduled`, `breaker.opened`, ...). */
  readonly events: EventBus;
  /** Channels open now, one per endpoint in use. */
  readonly openChannels: number;
};

/**
 * A drop-in for the grpc-js generated client `ClientConstructor` (from `loadPackageDefinition`
 * or grpc-tools): the same methods under the same names (and proto-loader's lower-camel
 * aliases), the same argument forms and call objects, with discovery, balancing, deadlines,
 * budgeted retries and hedges, the breaker, bulkhead, rate limit, routes and faults in front.
 * Throws `CONFIG_INVALID` for a constructor that is not a grpc-js client, a bad option or an
 * `OUTRIGGER_*` variable.
 */
export function createGrpcClient<C extends abstract new (...args: never[]) => object>(
  ClientConstructor: C,
  options: GrpcClientOptions,
): OutriggerGrpcClient<InstanceType<C>> {
  const core = new GrpcClientCore(ClientConstructor, options);
  const client: Record<string, unknown> = {};
  const unary: Record<string, unknown> = {};
  for (const info of core.methods.values()) {
    const method = methodFor(core, info);
    for (const name of [info.name, ...info.aliases]) {
      client[name] = method;
      if (info.kind === 'unary') unary[name] = unaryPromiseFor(core, info);
    }
  }
  Object.defineProperties(client, {
    unary: { value: Object.freeze(unary), enumerable: false },
    close: { value: () => core.close(), enumerable: false },
    describe: { value: () => core.chain.describe(), enumerable: false },
    snapshot: { value: () => core.chain.snapshot(), enumerable: false },
    setRoutes: {
      value: (routes: readonly Route[]) => core.chain.setRoutes(routes),
      enumerable: false,
    },
    config: { value: core.chain.config, enumerable: false },
    events: { value: core.chain.events, enumerable: false },
    openChannels: { get: () => core.channels.size, enumerable: false },
  });
  return client as OutriggerGrpcClient<InstanceType<C>>;
}

function methodFor(core: GrpcClientCore, info: MethodInfo): (...args: unknown[]) => unknown {
  const name = info.name;
  switch (info.kind) {
    case 'unary':
      return (request: unknown, ...rest: unknown[]) => {
        const a = readArguments(name, rest, true);
        return new UnaryCall(
          core,
          info,
          serializeRequest(info, request),
          a.metadata,
          a.options,
          a.callback!,
        );
      };
    case 'serverStream':
      return (request: unknown, ...rest: unknown[]) => {
        const a = readArguments(name, rest, false);
        return new ServerStreamCall(
          core,
          info,
          serializeRequest(info, request),
          a.metadata,
          a.options,
        );
      };
    case 'clientStream':
      return (...rest: unknown[]) => {
        const a = readArguments(name, rest, true);
        return new ClientStreamCall(core, info, a.metadata, a.options, a.callback!);
      };
    default:
      return (...rest: unknown[]) => {
        const a = readArguments(name, rest, false);
        return new BidiStreamCall(core, info, a.metadata, a.options);
      };
  }
}

function unaryPromiseFor(
  core: GrpcClientCore,
  info: MethodInfo,
): (request: unknown, metadata?: Metadata, options?: CallOptions) => Promise<unknown> {
  return (request, metadata, options) =>
    new Promise((resolve, reject) => {
      new UnaryPromise(
        core,
        info,
        serializeRequest(info, request),
        metadata,
        options,
        resolve,
        reject,
      );
    });
}
