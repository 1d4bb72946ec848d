import * as grpc from '@grpc/grpc-js';
import { context, propagation, type TextMapPropagator, trace } from '@opentelemetry/api';
import { CallContext, ConfigInvalidError, currentInbound, systemClock } from '@outrigger/core';
import { afterEach, describe, expect, it } from 'vitest';
import { attemptMetadata } from './metadata-propagation.js';
import {
  type InboundOptions,
  inboundServerInterceptor,
  withInboundHandler,
  withInboundService,
} from './server.js';
import { AlsContextManager } from './test-support/als-context-manager.js';

// --- OpenTelemetry stand-ins: only @opentelemetry/api is installed, whose no-op context manager
// never makes a context active and whose no-op propagator reads nothing.

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The traceparent half of W3C trace context. */
const traceparentPropagator: TextMapPropagator = {
  inject(ctx, carrier, setter) {
    const span = trace.getSpanContext(ctx);
    if (span === undefined) return;
    setter.set(carrier, 'traceparent', `00-${span.traceId}-${span.spanId}-01`);
  },
  extract(ctx, carrier, getter) {
    const raw = getter.get(carrier, 'traceparent');
    const match = TRACEPARENT.exec((Array.isArray(raw) ? raw[0] : raw) ?? '');
    if (match === null) return ctx;
    return trace.setSpanContext(ctx, {
      traceId: match[1]!,
      spanId: match[2]!,
      traceFlags: Number.parseInt(match[3]!, 16),
      isRemote: true,
    });
  },
  fields: () => ['traceparent'],
};

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

function registerTracing(): void {
  context.setGlobalContextManager(new AlsContextManager());
  propagation.setGlobalPropagator(traceparentPropagator);
}

// --- A probe service whose every handler reports what it saw, where: in the handler itself,
// in its stream events, and after an await.

interface Seen {
  where: string;
  scoped: boolean;
  /** The inbound scope's time left, on the system clock; null outside a scope. */
  remainingMs: number | null;
  /** What a new Outrigger call made here would get (CallContext.root reads the scope). */
  rootRemainingMs: number | null;
  traceId: string | null;
  /** The traceparent an outbound call made here would send. */
  forwarded: string | null;
}

function observe(where: string): Seen {
  const inbound = currentInbound();
  const root = CallContext.root();
  return {
    where,
    scoped: inbound !== undefined,
    remainingMs: inbound ? inbound.deadline - systemClock.now() : null,
    rootRemainingMs: Number.isFinite(root.deadline) ? root.remainingMs() : null,
    traceId: trace.getSpanContext(context.active())?.traceId ?? null,
    forwarded: (attemptMetadata(undefined)?.get('traceparent')[0] as string | undefined) ?? null,
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

type Req = Record<string, never>;
const toJson = (value: unknown) => Buffer.from(JSON.stringify(value));
const fromJson = (bytes: Buffer) => JSON.parse(bytes.toString()) as never;

function method(name: string, requestStream: boolean, responseStream: boolean) {
  return {
    path: `/outrigger.test.Probe/${name}`,
    requestStream,
    responseStream,
    requestSerialize: toJson,
    requestDeserialize: fromJson,
    responseSerialize: toJson,
    responseDeserialize: fromJson,
  } satisfies grpc.MethodDefinition<Req, Seen[]>;
}

const probeService = {
  unary: method('Unary', false, false),
  serverStream: method('ServerStream', false, true),
  clientStream: method('ClientStream', true, false),
  bidi: method('Bidi', true, true),
} satisfies grpc.ServiceDefinition;

type Kind = keyof typeof probeService;
const KINDS: Kind[] = ['unary', 'serverStream', 'clientStream', 'bidi'];

/** Where each kind of handler observes; every one must see the scope. */
const PLACES: Record<Kind, string[]> = {
  unary: ['handler', 'after await'],
  serverStream: ['handler', 'after await'],
  clientStream: ['handler', 'data', 'data', 'end', 'after await'],
  bidi: ['handler', 'data', 'after await', 'end'],
};

/** Set by a handler's 'cancelled' listener; the cancellation test waits for it. */
let onCancelled: ((seen: Seen) => void) | undefined;

const probeImpl = {
  unary(_call: grpc.ServerUnaryCall<Req, Seen[]>, callback: grpc.sendUnaryData<Seen[]>) {
    const seen = [observe('handler')];
    void tick().then(() => {
      seen.push(observe('after await'));
      callback(null, seen);
    });
  },
  serverStream(call: grpc.ServerWritableStream<Req, Seen[]>) {
    const seen = [observe('handler')];
    void (async () => {
      await tick();
      seen.push(observe('after await'));
      call.write(seen);
      call.end();
    })();
  },
  clientStream(call: grpc.ServerReadableStream<Req, Seen[]>, callback: grpc.sendUnaryData<Seen[]>) {
    const seen = [observe('handler')];
    call.on('data', () => seen.push(observe('data')));
    call.on('end', async () => {
      seen.push(observe('end'));
      await tick();
      seen.push(observe('after await'));
      callback(null, seen);
    });
  },
  bidi(call: grpc.ServerDuplexStream<Req, Seen[]>) {
    call.write([observe('handler')]);
    call.on('cancelled', () => onCancelled?.(observe('cancelled')));
    call.on('data', async () => {
      const data = observe('data');
      await tick();
      call.write([data, observe('after await')]);
    });
    call.on('end', () => {
      call.write([observe('end')]);
      call.end();
    });
  },
};

interface ProbeClient extends grpc.Client {
  unary(
    req: Req,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, res?: Seen[]) => void,
  ): grpc.ClientUnaryCall;
  serverStream(
    req: Req,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
  ): grpc.ClientReadableStream<Seen[]>;
  clientStream(
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, res?: Seen[]) => void,
  ): grpc.ClientWritableStream<Req>;
  bidi(metadata: grpc.Metadata, options: grpc.CallOptions): grpc.ClientDuplexStream<Req, Seen[]>;
}
const Probe = grpc.makeGenericClientConstructor(probeService, 'Probe');

function collect(stream: grpc.ClientReadableStream<Seen[]>): Promise<Seen[]> {
  const seen: Seen[] = [];
  return new Promise((resolve, reject) => {
    stream.on('data', (batch: Seen[]) => seen.push(...batch));
    stream.on('error', reject);
    stream.on('end', () => resolve(seen));
  });
}

/** One call of `kind` from a raw grpc-js client; resolves with everything the handler saw. */
function callProbe(
  client: ProbeClient,
  kind: Kind,
  options: grpc.CallOptions,
  metadata = new grpc.Metadata(),
): Promise<Seen[]> {
  const unaryDone =
    (resolve: (seen: Seen[]) => void, reject: (error: unknown) => void) =>
    (error: grpc.ServiceError | null, res?: Seen[]) =>
      error ? reject(error) : resolve(res!);
  switch (kind) {
    case 'unary':
      return new Promise((resolve, reject) =>
        client.unary({}, metadata, options, unaryDone(resolve, reject)),
      );
    case 'serverStream':
      return collect(client.serverStream({}, metadata, options));
    case 'clientStream':
      return new Promise((resolve, reject) => {
        const stream = client.clientStream(metadata, options, unaryDone(resolve, reject));
        stream.write({});
        stream.write({});
        stream.end();
      });
    case 'bidi': {
      const stream = client.bidi(metadata, options);
      const all = collect(stream);
      stream.write({});
      // End once the reply to the one message is in, so that 'end' is seen after it.
      let batches = 0;
      stream.on('data', () => {
        if (++batches === 2) stream.end();
      });
      return all;
    }
  }
}

// --- The three ways in, each on a real server on 127.0.0.1.

type Mode = 'withInboundService' | 'withInboundHandler' | 'inboundServerInterceptor';
const MODES: Mode[] = ['withInboundService', 'withInboundHandler', 'inboundServerInterceptor'];

let server: grpc.Server | undefined;
let client: ProbeClient | undefined;

afterEach(() => {
  client?.close();
  server?.forceShutdown();
  client = undefined;
  server = undefined;
  onCancelled = undefined;
  propagation.disable();
  context.disable();
});

async function listen(
  implementation: grpc.UntypedServiceImplementation,
  serverOptions?: grpc.ServerOptions,
): Promise<ProbeClient> {
  server = new grpc.Server(serverOptions);
  server.addService(probeService, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server!.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  client = new Probe(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  ) as unknown as ProbeClient;
  return client;
}

function serve(mode: Mode, options?: InboundOptions): Promise<ProbeClient> {
  switch (mode) {
    case 'withInboundService':
      // Typechecks as it is written in an application: no cast.
      return listen(withInboundService(probeImpl, options));
    case 'withInboundHandler':
      return listen({
        unary: withInboundHandler(probeImpl.unary, options),
        serverStream: withInboundHandler(probeImpl.serverStream, options),
        clientStream: withInboundHandler(probeImpl.clientStream, options),
        bidi: withInboundHandler(probeImpl.bidi, options),
      });
    case 'inboundServerInterceptor':
      return listen(probeImpl, { interceptors: [inboundServerInterceptor(options)] });
  }
}

const wheres = (seen: Seen[]) => seen.map((s) => s.where).sort();
const sorted = (places: string[]) => [...places].sort();

describe.each(MODES)('%s', (mode) => {
  it.each(KINDS)(
    "enters the caller's grpc-timeout deadline for a %s handler, in its events and after an await",
    async (kind) => {
      const probe = await serve(mode);
      const seen = await callProbe(probe, kind, { deadline: Date.now() + 800 });
      expect(wheres(seen)).toEqual(sorted(PLACES[kind]));
      for (const s of seen) {
        expect(s, s.where).toMatchObject({ scoped: true });
        // On the system clock's scale (not wall time) and within the 800 ms the caller gave.
        expect(s.remainingMs, s.where).toBeGreaterThan(300);
        expect(s.remainingMs, s.where).toBeLessThanOrEqual(801);
        expect(s.rootRemainingMs, s.where).toBeGreaterThan(300);
        expect(s.rootRemainingMs!, s.where).toBeLessThanOrEqual(s.remainingMs! + 1);
      }
    },
  );

  it.each(KINDS)('caps a %s caller at maxTimeoutMs', async (kind) => {
    const probe = await serve(mode, { maxTimeoutMs: 200 });
    const seen = await callProbe(probe, kind, { deadline: Date.now() + 5_000 });
    expect(wheres(seen)).toEqual(sorted(PLACES[kind]));
    for (const s of seen) {
      expect(s.remainingMs, s.where).toBeGreaterThan(0);
      expect(s.remainingMs, s.where).toBeLessThanOrEqual(200);
      expect(s.rootRemainingMs, s.where).toBeLessThanOrEqual(200);
    }
  });

  it.each(KINDS)('enters no scope for a %s call that brings no deadline', async (kind) => {
    const probe = await serve(mode, { maxTimeoutMs: 200 });
    const seen = await callProbe(probe, kind, {});
    expect(wheres(seen)).toEqual(sorted(PLACES[kind]));
    for (const s of seen) {
      expect(s, s.where).toMatchObject({ scoped: false, remainingMs: null, rootRemainingMs: null });
    }
  });

  it.each(KINDS)(
    "makes the traceparent in a %s call's metadata the active context, passed on by attemptMetadata",
    async (kind) => {
      registerTracing();
      const probe = await serve(mode);
      const metadata = new grpc.Metadata();
      metadata.set('traceparent', `00-${TRACE_ID}-00f067aa0ba902b7-01`);
      const traced = await callProbe(probe, kind, {}, metadata);
      expect(wheres(traced)).toEqual(sorted(PLACES[kind]));
      for (const s of traced) {
        expect(s, s.where).toMatchObject({ traceId: TRACE_ID, scoped: false });
        expect(s.forwarded, s.where).toContain(TRACE_ID);
      }
      const both = await callProbe(probe, kind, { deadline: Date.now() + 800 }, metadata);
      for (const s of both) expect(s, s.where).toMatchObject({ traceId: TRACE_ID, scoped: true });
    },
  );

  it('extracts nothing while no propagator is registered', async () => {
    context.setGlobalContextManager(new AlsContextManager());
    const probe = await serve(mode);
    const metadata = new grpc.Metadata();
    metadata.set('traceparent', `00-${TRACE_ID}-00f067aa0ba902b7-01`);
    const seen = await callProbe(probe, 'unary', {}, metadata);
    for (const s of seen) {
      expect(s, s.where).toMatchObject({ traceId: null, scoped: false, forwarded: null });
    }
  });

  it("runs a handler's 'cancelled' listener inside the scope when the caller cancels", async () => {
    const probe = await serve(mode);
    const cancelled = new Promise<Seen>((resolve) => {
      onCancelled = resolve;
    });
    const stream = probe.bidi(new grpc.Metadata(), { deadline: Date.now() + 800 });
    stream.on('error', () => {});
    stream.once('data', () => stream.cancel());
    const seen = await cancelled;
    expect(seen).toMatchObject({ scoped: true });
    expect(seen.remainingMs).toBeGreaterThan(300);
  });
});

describe('wrappers', () => {
  it('wraps the methods of a class instance and calls them with the instance as this', async () => {
    class ProbeImpl implements grpc.UntypedServiceImplementation {
      [name: string]: grpc.UntypedHandleCall;
      readonly #label = 'instance';
      unary(_call: grpc.ServerUnaryCall<Req, Seen[]>, callback: grpc.sendUnaryData<Seen[]>) {
        // A private field throws on any other receiver, a wrapper object included.
        callback(null, [observe(this.#label)]);
      }
    }
    const probe = await listen(withInboundService(new ProbeImpl()));
    const seen = await callProbe(probe, 'unary', { deadline: Date.now() + 800 });
    expect(seen).toMatchObject([{ where: 'instance', scoped: true }]);
  });

  it('passes a call without a deadline or trace context straight through', () => {
    const call = { getDeadline: () => Number.POSITIVE_INFINITY, emit: () => true };
    const emit = call.emit;
    let inside: boolean | undefined;
    const handler: grpc.handleUnaryCall<Req, Seen[]> = () => {
      inside = currentInbound() !== undefined;
    };
    withInboundHandler(handler)(call as never, () => {});
    expect(inside).toBe(false);
    expect(call.emit).toBe(emit);
  });
});

describe('options', () => {
  const factories = {
    withInboundService: (options: unknown) => withInboundService(probeImpl, options as never),
    withInboundHandler: (options: unknown) => withInboundHandler(probeImpl.unary, options as never),
    inboundServerInterceptor: (options: unknown) => inboundServerInterceptor(options as never),
  };

  it.each(Object.entries(factories))(
    '%s() refuses a maxTimeoutMs that is not a positive number, naming it',
    (name, make) => {
      for (const bad of [0, -5, Number.NaN, '100']) {
        const error = catchError(() => make({ maxTimeoutMs: bad }));
        expect(error).toBeInstanceOf(ConfigInvalidError);
        expect(error).toMatchObject({
          code: 'CONFIG_INVALID',
          setting: `${name}() maxTimeoutMs`,
          value: bad,
          expected: 'a number of milliseconds greater than 0 (Infinity for no cap)',
        });
      }
      expect(() => make({ maxTimeoutMs: 250 })).not.toThrow();
      expect(() => make({ maxTimeoutMs: Number.POSITIVE_INFINITY })).not.toThrow();
    },
  );

  it.each(Object.entries(factories))(
    '%s() refuses an unknown option and suggests the known one',
    (name, make) => {
      const error = catchError(() => make({ maxTimeout: 100 }));
      expect(error).toBeInstanceOf(ConfigInvalidError);
      expect(error).toMatchObject({
        setting: `${name}() maxTimeout`,
        expected: 'one of maxTimeoutMs',
      });
      expect((error as Error).message).toBe(
        `maxTimeout is not an option of ${name}(); did you mean maxTimeoutMs? (valid: maxTimeoutMs)`,
      );
      expect(catchError(() => make('fast'))).toMatchObject({
        setting: `${name}() options`,
        expected: 'an options object { maxTimeoutMs }',
      });
    },
  );

  it('refuses a handler that is not a function, and an implementation that is not an object', () => {
    expect(catchError(() => withInboundHandler(undefined as never))).toMatchObject({
      code: 'CONFIG_INVALID',
      setting: 'withInboundHandler() handler',
    });
    expect(catchError(() => withInboundService(null as never))).toMatchObject({
      code: 'CONFIG_INVALID',
      setting: 'withInboundService() implementation',
    });
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
