import * as grpc from '@grpc/grpc-js';
import { runWithInbound } from '@outrigger/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type OutriggerInterceptor,
  type OutriggerInterceptorOptions,
  outriggerInterceptor,
} from './interceptor.js';
import { WIRE_DEADLINE_MARGIN_MS } from './wire-deadline.js';

/**
 * The most a server can read as time left when the caller had `ms`: the wire carries grpc-js's
 * deadline, `WIRE_DEADLINE_MARGIN_MS` past the call's and rounded up to a whole ms, and the
 * server reads it against `Date.now()`, whole ms too. (CI read 151 for a 150 ms total.)
 */
const toldAtMost = (ms: number): number => ms + WIRE_DEADLINE_MARGIN_MS + 1;

const serialize = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const deserialize = (bytes: Buffer): unknown => JSON.parse(bytes.toString());

function method(name: string, requestStream: boolean, responseStream: boolean) {
  return {
    path: `/test.Echo/${name}`,
    requestStream,
    responseStream,
    requestSerialize: serialize,
    requestDeserialize: deserialize,
    responseSerialize: serialize,
    responseDeserialize: deserialize,
  };
}

const ECHO = {
  Unary: method('Unary', false, false),
  Stream: method('Stream', false, true),
  Collect: method('Collect', true, false),
  Chat: method('Chat', true, true),
} as const;
const EchoClient = grpc.makeGenericClientConstructor(ECHO, 'Echo');

type Method = keyof typeof ECHO;
type UnaryCall = grpc.ServerUnaryCall<unknown, unknown>;
type StreamCall = grpc.ServerWritableStream<{ count?: number }, unknown>;
type Handlers = {
  Unary(call: UnaryCall, callback: grpc.sendUnaryData<unknown>, n: number): void;
  Stream(call: StreamCall, n: number): void;
  Collect(
    call: grpc.ServerReadableStream<number, unknown>,
    cb: grpc.sendUnaryData<unknown>,
    n: number,
  ): void;
  Chat(call: grpc.ServerDuplexStream<unknown, unknown>, n: number): void;
};

const fail = (code: grpc.status, details = 'scripted') => ({ code, details }) as grpc.ServiceError;

/** A real grpc-js server on 127.0.0.1 whose handlers each test scripts. */
class Backend {
  readonly server = new grpc.Server();
  readonly counts: Record<Method, number> = { Unary: 0, Stream: 0, Collect: 0, Chat: 0 };
  readonly metadata: grpc.Metadata[] = [];
  /** Deadlines the calls arrived with, as ms left when they arrived. */
  readonly deadlines: number[] = [];
  cancelled = 0;
  address = '';
  handlers: Handlers = {
    Unary: (call, callback) => callback(null, { echo: call.request }),
    Stream: (call) => {
      for (let i = 0; i < (call.request.count ?? 3); i++) call.write(i);
      call.end();
    },
    Collect: (call, callback) => {
      let sum = 0;
      call.on('data', (n: number) => (sum += n));
      call.on('end', () => callback(null, sum));
    },
    Chat: (call) => {
      call.on('data', (m: unknown) => call.write(m));
      call.on('end', () => call.end());
    },
  };

  constructor() {
    // grpc-js emits 'cancelled' whenever the stream closes; only a call not answered by then was
    // really cancelled.
    const seen = (
      call:
        | UnaryCall
        | StreamCall
        | grpc.ServerReadableStream<number, unknown>
        | grpc.ServerDuplexStream<unknown, unknown>,
      name: Method,
      answered: () => boolean,
    ): number => {
      this.metadata.push(call.metadata);
      const deadline = call.getDeadline();
      const at = deadline instanceof Date ? deadline.getTime() : deadline;
      this.deadlines.push(at - Date.now());
      (call as NodeJS.EventEmitter).on('cancelled', () => {
        if (!answered()) this.cancelled++;
      });
      return ++this.counts[name];
    };
    const once = <A extends unknown[]>(callback: (...args: A) => void) => {
      const wrapped = (...args: A) => {
        wrapped.called = true;
        callback(...args);
      };
      wrapped.called = false;
      return wrapped;
    };
    this.server.addService(ECHO, {
      Unary: (call: UnaryCall, cb: grpc.sendUnaryData<unknown>) => {
        const answer = once(cb);
        this.handlers.Unary(
          call,
          answer,
          seen(call, 'Unary', () => answer.called),
        );
      },
      Stream: (call: StreamCall) =>
        this.handlers.Stream(
          call,
          seen(call, 'Stream', () => call.writableEnded),
        ),
      Collect: (
        call: grpc.ServerReadableStream<number, unknown>,
        cb: grpc.sendUnaryData<unknown>,
      ) => {
        const answer = once(cb);
        this.handlers.Collect(
          call,
          answer,
          seen(call, 'Collect', () => answer.called),
        );
      },
      Chat: (call: grpc.ServerDuplexStream<unknown, unknown>) =>
        this.handlers.Chat(
          call,
          seen(call, 'Chat', () => call.writableEnded),
        ),
    });
  }

  async start(): Promise<this> {
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    this.address = `127.0.0.1:${port}`;
    return this;
  }
}

type Client = grpc.Client & Record<Method, (...args: unknown[]) => unknown>;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(
  options: Partial<OutriggerInterceptorOptions> = {},
): Promise<{ backend: Backend; client: Client; interceptor: OutriggerInterceptor }> {
  const backend = await new Backend().start();
  cleanups.push(() => backend.server.forceShutdown());
  const interceptor = outriggerInterceptor({
    service: 'echo',
    env: {},
    retry: { backoff: { baseMs: 1, maxMs: 5 } },
    ...options,
  });
  cleanups.push(() => interceptor.close());
  const client = new EchoClient(backend.address, grpc.credentials.createInsecure(), {
    interceptors: [interceptor],
  }) as unknown as Client;
  cleanups.push(() => client.close());
  return { backend, client, interceptor };
}

interface Result {
  error: grpc.ServiceError | undefined;
  value: unknown;
  status: grpc.StatusObject;
  headers: grpc.Metadata | undefined;
}

/** A unary call; `call` is handed over before anything can have answered it. */
function unary(
  client: Client,
  request: unknown,
  options: grpc.CallOptions = {},
  metadata = new grpc.Metadata(),
): { call: grpc.ClientUnaryCall; result: Promise<Result>; returned: () => boolean } {
  let returned = false;
  let answeredBeforeReturn = false;
  let headers: grpc.Metadata | undefined;
  let resolveResult!: (r: Result) => void;
  const result = new Promise<Result>((resolve) => (resolveResult = resolve));
  let done: Omit<Result, 'status' | 'headers'> | undefined;
  const call = client.Unary(
    request,
    metadata,
    options,
    (error: grpc.ServiceError | null, value: unknown) => {
      if (!returned) answeredBeforeReturn = true;
      done = { error: error ?? undefined, value };
    },
  ) as grpc.ClientUnaryCall;
  returned = true;
  call.on('metadata', (md: grpc.Metadata) => (headers = md));
  call.on('status', (status: grpc.StatusObject) => resolveResult({ ...done!, status, headers }));
  return { call, result, returned: () => !answeredBeforeReturn };
}

interface StreamResult {
  messages: unknown[];
  error: grpc.ServiceError | undefined;
  status: grpc.StatusObject;
}

function collect(call: grpc.ClientReadableStream<unknown>): Promise<StreamResult> {
  const messages: unknown[] = [];
  let error: grpc.ServiceError | undefined;
  call.on('data', (m: unknown) => messages.push(m));
  call.on('error', (e: grpc.ServiceError) => (error = e));
  return new Promise((resolve) =>
    call.on('status', (status: grpc.StatusObject) =>
      // 'end' or 'error' comes with the status; let the stream drain first.
      setImmediate(() => resolve({ messages, error, status })),
    ),
  );
}

const waitFor = <T>(check: () => T) => vi.waitFor(check, { timeout: 2_000, interval: 5 });
const causeCode = (error: unknown) => (error as { cause?: { code?: string } }).cause?.code;

describe('outriggerInterceptor: unary calls', () => {
  it('retries UNAVAILABLE and succeeds, resending the message and metadata', async () => {
    const { backend, client } = await setup();
    backend.handlers.Unary = (call, cb, n) =>
      n === 1 ? cb(fail(grpc.status.UNAVAILABLE)) : cb(null, { echo: call.request, n });
    const metadata = new grpc.Metadata();
    metadata.set('x-token', 'abc');
    const { result } = unary(client, { hello: 1 }, {}, metadata);
    const { error, value, status } = await result;
    expect(error).toBeUndefined();
    expect(value).toEqual({ echo: { hello: 1 }, n: 2 });
    expect(status.code).toBe(grpc.status.OK);
    expect(backend.counts.Unary).toBe(2);
    expect(backend.metadata.map((m) => m.get('x-token'))).toEqual([['abc'], ['abc']]);
  });

  it('does not retry NOT_FOUND, and the caller gets the status, headers and trailers as sent', async () => {
    const { backend, client } = await setup();
    backend.handlers.Unary = (call, cb) => {
      const headers = new grpc.Metadata();
      headers.set('x-head', 'h');
      call.sendMetadata(headers);
      const trailers = new grpc.Metadata();
      trailers.set('x-trail', 't');
      cb({ code: grpc.status.NOT_FOUND, details: 'no such thing', metadata: trailers });
    };
    const { error, status, headers } = await unary(client, {}).result;
    expect(error?.code).toBe(grpc.status.NOT_FOUND);
    expect(error?.details).toBe('no such thing');
    expect(status.metadata.get('x-trail')).toEqual(['t']);
    expect(headers?.get('x-head')).toEqual(['h']);
    expect(backend.counts.Unary).toBe(1);
  });

  it('does not retry a method marked non-idempotent (by name or by path)', async () => {
    for (const key of ['Unary', '/test.Echo/Unary']) {
      const { backend, client } = await setup({ methods: { [key]: { idempotent: false } } });
      backend.handlers.Unary = (_call, cb) => cb(fail(grpc.status.UNAVAILABLE));
      const { error } = await unary(client, {}).result;
      expect(error?.code).toBe(grpc.status.UNAVAILABLE);
      expect(backend.counts.Unary).toBe(1);
    }
  });

  it('ends a call to a server that sleeps with DEADLINE_EXCEEDED at timeout.totalMs, sent on the wire', async () => {
    const { backend, client } = await setup({ timeout: { totalMs: 150 } });
    backend.handlers.Unary = () => {};
    const started = performance.now();
    const { error } = await unary(client, {}).result;
    const elapsed = performance.now() - started;
    expect(error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(1_000);
    expect(backend.counts.Unary).toBe(1);
    // The server was told the time left, at most the total deadline (and grpc-js's margin).
    expect(backend.deadlines[0]).toBeGreaterThan(0);
    expect(backend.deadlines[0]).toBeLessThanOrEqual(toldAtMost(150));
    await waitFor(() => expect(backend.cancelled).toBe(1));
  });

  it("caps the deadline with the call's own deadline option", async () => {
    const { backend, client } = await setup({ timeout: { totalMs: 10_000 } });
    backend.handlers.Unary = () => {};
    const started = performance.now();
    const { error } = await unary(client, {}, { deadline: Date.now() + 100 }).result;
    expect(error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    // Far below the 10 s total: the short deadline ended it (loose for a loaded CI machine).
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(backend.deadlines[0]).toBeLessThanOrEqual(toldAtMost(100));
  });

  it('caps the deadline with the inbound request in scope, and with a parent call', async () => {
    const { backend, client } = await setup({ timeout: { totalMs: 10_000 } });
    backend.handlers.Unary = () => {};
    const inbound = await runWithInbound({ deadline: performance.now() + 100 }, () =>
      unary(client, {}),
    ).result;
    expect(inbound.error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(backend.deadlines[0]).toBeLessThanOrEqual(toldAtMost(100));

    // A front server calls on through the interceptor with its own call as parent.
    const front = await new Backend().start();
    cleanups.push(() => front.server.forceShutdown());
    const inner = new Promise<Result>((resolve) => {
      front.handlers.Unary = (call, cb) => {
        unary(client, {}, { parent: call }).result.then((r) => {
          resolve(r);
          cb(null, 'done');
        });
      };
    });
    const frontClient = new EchoClient(front.address, grpc.credentials.createInsecure());
    cleanups.push(() => frontClient.close());
    const started = performance.now();
    const outer = unary(frontClient as unknown as Client, {}, { deadline: Date.now() + 150 });
    // The parent's deadline reaches the wire; at its expiry the parent is cancelled too, and
    // which of the two ends the inner call first is a race (as in grpc-js itself).
    const { error } = await inner;
    expect([grpc.status.DEADLINE_EXCEEDED, grpc.status.CANCELLED]).toContain(error?.code);
    // Far below the 10 s total: the short deadline ended it (loose for a loaded CI machine).
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(backend.deadlines[1]).toBeLessThanOrEqual(toldAtMost(150));
    await outer.result;
  });

  it('ends the call with CANCELLED when its parent call is cancelled', async () => {
    const { backend, client } = await setup();
    backend.handlers.Unary = () => {};
    const front = await new Backend().start();
    cleanups.push(() => front.server.forceShutdown());
    const inner = new Promise<Result>((resolve) => {
      front.handlers.Unary = (call) =>
        void unary(client, {}, { parent: call }).result.then(resolve);
    });
    const frontClient = new EchoClient(front.address, grpc.credentials.createInsecure());
    cleanups.push(() => frontClient.close());
    const outer = unary(frontClient as unknown as Client, {});
    await waitFor(() => expect(backend.counts.Unary).toBe(1));
    outer.call.cancel();
    const { error } = await inner;
    expect(error?.code).toBe(grpc.status.CANCELLED);
    expect(error?.details).toBe('Cancelled by parent call');
    await waitFor(() => expect(backend.cancelled).toBe(1));
  });

  it('runs the interceptors after it once per attempt', async () => {
    const { backend } = await setup();
    const interceptor = outriggerInterceptor({ service: 'echo', env: {} });
    cleanups.push(() => interceptor.close());
    let attempts = 0;
    const counting: grpc.Interceptor = (options, nextCall) => {
      attempts++;
      return new grpc.InterceptingCall(nextCall(options));
    };
    const client = new EchoClient(backend.address, grpc.credentials.createInsecure(), {
      interceptors: [interceptor, counting],
    }) as unknown as Client;
    cleanups.push(() => client.close());
    backend.handlers.Unary = (_call, cb, n) =>
      n === 1 ? cb(fail(grpc.status.UNAVAILABLE)) : cb(null, 'ok');
    expect((await unary(client, {}).result).value).toBe('ok');
    expect(attempts).toBe(2);
  });

  it('retries an attempt cut by the per-try timeout, within the total deadline', async () => {
    const { backend, client } = await setup({ timeout: { totalMs: 2_000, perTryMs: 80 } });
    backend.handlers.Unary = (_call, cb, n) => (n === 1 ? undefined : cb(null, { n }));
    const { error, value } = await unary(client, {}).result;
    expect(error).toBeUndefined();
    expect(value).toEqual({ n: 2 });
    expect(backend.counts.Unary).toBe(2);
    // The wire carries the total deadline; the per-try timer cut the first attempt.
    expect(backend.deadlines[0]).toBeGreaterThan(1_000);
    await waitFor(() => expect(backend.cancelled).toBe(1));
  });

  it('opens the breaker after failures: the next call gets UNAVAILABLE with CIRCUIT_OPEN as cause', async () => {
    const { backend, client } = await setup({
      retry: false,
      breaker: { volumeThreshold: 2, errorThresholdPercent: 50, resetTimeoutMs: 60_000 },
    });
    backend.handlers.Unary = (_call, cb) => cb(fail(grpc.status.UNAVAILABLE, 'down'));
    for (let i = 0; i < 2; i++) {
      const { error } = await unary(client, {}).result;
      expect(error?.details).toBe('down');
    }
    const refused = unary(client, {});
    const { error } = await refused.result;
    expect(error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(causeCode(error)).toBe('CIRCUIT_OPEN');
    expect(backend.counts.Unary).toBe(2);
    // Even a refusal is reported after the call object was handed back, as grpc-js does.
    expect(refused.returned()).toBe(true);
  });

  it('refuses a call beyond a full bulkhead with RESOURCE_EXHAUSTED', async () => {
    const { backend, client } = await setup({ bulkhead: { maxConcurrent: 1, maxQueue: 0 } });
    backend.handlers.Unary = () => {};
    const first = unary(client, {});
    await waitFor(() => expect(backend.counts.Unary).toBe(1));
    const { error } = await unary(client, {}).result;
    expect(error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(causeCode(error)).toBe('BULKHEAD_FULL');
    first.call.cancel();
    expect((await first.result).error?.code).toBe(grpc.status.CANCELLED);
    expect(backend.counts.Unary).toBe(1);
  });

  it('cancel() ends the call with CANCELLED and cancels the attempt on the wire', async () => {
    const { backend, client } = await setup();
    backend.handlers.Unary = () => {};
    const { call, result } = unary(client, {});
    await waitFor(() => expect(backend.counts.Unary).toBe(1));
    call.cancel();
    const { error } = await result;
    expect(error?.code).toBe(grpc.status.CANCELLED);
    expect(error?.details).toBe('Cancelled on client');
    await waitFor(() => expect(backend.cancelled).toBe(1));
    expect(backend.counts.Unary).toBe(1);
  });

  it('cancel() during a retry backoff ends the call without another attempt', async () => {
    const { backend, client } = await setup({
      retry: { backoff: { baseMs: 60_000, maxMs: 60_000, jitter: 'none' } },
      timeout: { totalMs: 120_000 },
    });
    backend.handlers.Unary = (_call, cb) => cb(fail(grpc.status.UNAVAILABLE));
    const { call, result } = unary(client, {});
    await waitFor(() => expect(backend.counts.Unary).toBe(1));
    await new Promise((resolve) => setImmediate(resolve));
    call.cancel();
    expect((await result).error?.code).toBe(grpc.status.CANCELLED);
    expect(backend.counts.Unary).toBe(1);
  });
});

describe('outriggerInterceptor: streaming calls', () => {
  it('retries a server stream that fails before its first message', async () => {
    const { backend, client } = await setup();
    backend.handlers.Stream = (call, n) => {
      if (n === 1) {
        call.emit('error', fail(grpc.status.UNAVAILABLE));
        return;
      }
      for (let i = 0; i < 3; i++) call.write(i);
      call.end();
    };
    const { messages, error, status } = await collect(
      client.Stream({ count: 3 }) as grpc.ClientReadableStream<unknown>,
    );
    expect(error).toBeUndefined();
    expect(status.code).toBe(grpc.status.OK);
    expect(messages).toEqual([0, 1, 2]);
    expect(backend.counts.Stream).toBe(2);
  });

  it('never retries a server stream once a message reached the caller', async () => {
    const { backend, client } = await setup();
    let failNow!: () => void;
    backend.handlers.Stream = (call) => {
      call.write('first');
      failNow = () => call.emit('error', fail(grpc.status.UNAVAILABLE, 'late'));
    };
    const call = client.Stream({}) as grpc.ClientReadableStream<unknown>;
    const result = collect(call);
    await new Promise((resolve) => call.once('data', resolve));
    failNow();
    const { messages, error } = await result;
    expect(messages).toEqual(['first']);
    expect(error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(error?.details).toBe('late');
    expect(backend.counts.Stream).toBe(1);
  });

  it('delivers a long server stream in order, with flow control', async () => {
    const { client } = await setup();
    const call = client.Stream({ count: 500 }) as grpc.ClientReadableStream<unknown>;
    const { messages, status } = await collect(call);
    expect(status.code).toBe(grpc.status.OK);
    expect(messages).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });

  it('cancel() after the first message ends a server stream with CANCELLED', async () => {
    const { backend, client } = await setup();
    backend.handlers.Stream = (call) => call.write('first');
    const call = client.Stream({}) as grpc.ClientReadableStream<unknown>;
    const result = collect(call);
    await new Promise((resolve) => call.once('data', resolve));
    call.cancel();
    const { error, messages } = await result;
    expect(error?.code).toBe(grpc.status.CANCELLED);
    expect(messages).toEqual(['first']);
    await waitFor(() => expect(backend.cancelled).toBe(1));
  });

  it('passes a client stream through, not retried', async () => {
    const { backend, client } = await setup();
    const sum = await new Promise<unknown>((resolve, reject) => {
      const call = client.Collect((error: grpc.ServiceError | null, value: unknown) =>
        error ? reject(error) : resolve(value),
      ) as grpc.ClientWritableStream<number>;
      call.write(1);
      call.write(2);
      call.write(3);
      call.end();
    });
    expect(sum).toBe(6);

    backend.handlers.Collect = (_call, cb) => cb(fail(grpc.status.UNAVAILABLE));
    const error = await new Promise<grpc.ServiceError | null>((resolve) => {
      const call = client.Collect((e: grpc.ServiceError | null) => resolve(e));
      (call as grpc.ClientWritableStream<number>).end();
    });
    expect(error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(backend.counts.Collect).toBe(2);
  });

  it('passes a bidi stream through', async () => {
    const { client } = await setup();
    const call = client.Chat() as grpc.ClientDuplexStream<unknown, unknown>;
    const result = collect(call);
    call.write('a');
    call.write('b');
    call.end();
    const { messages, status } = await result;
    expect(status.code).toBe(grpc.status.OK);
    expect(messages).toEqual(['a', 'b']);
  });

  it('a full bulkhead refuses a client stream', async () => {
    const { backend, client } = await setup({ bulkhead: { maxConcurrent: 1, maxQueue: 0 } });
    backend.handlers.Chat = () => {};
    const first = client.Chat() as grpc.ClientDuplexStream<unknown, unknown>;
    const firstDone = collect(first);
    await waitFor(() => expect(backend.counts.Chat).toBe(1));
    const error = await new Promise<grpc.ServiceError | null>((resolve) =>
      client.Collect((e: grpc.ServiceError | null) => resolve(e)),
    );
    expect(error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(causeCode(error)).toBe('BULKHEAD_FULL');
    first.cancel();
    expect((await firstDone).error?.code).toBe(grpc.status.CANCELLED);
  });
});

describe('outriggerInterceptor: lifecycle and options', () => {
  it('close() waits for calls in flight, then refuses new ones with CANCELLED (CLIENT_CLOSED)', async () => {
    const { backend, client, interceptor } = await setup();
    let answer!: () => void;
    backend.handlers.Unary = (_call, cb) => (answer = () => cb(null, 'late'));
    const inFlight = unary(client, {});
    await waitFor(() => expect(backend.counts.Unary).toBe(1));
    let closed = false;
    const closing = interceptor.close().then(() => (closed = true));
    const { error } = await unary(client, {}).result;
    expect(error?.code).toBe(grpc.status.CANCELLED);
    expect(causeCode(error)).toBe('CLIENT_CLOSED');
    expect(closed).toBe(false);
    answer();
    expect((await inFlight.result).value).toBe('late');
    await closing;
    expect(closed).toBe(true);
    expect(backend.counts.Unary).toBe(1);
  });

  it('describes its chain and exposes its settings', async () => {
    const { interceptor } = await setup({ timeout: { totalMs: 1_234 } });
    expect(interceptor.config.service).toBe('echo');
    expect(interceptor.config.timeout).toEqual({ totalMs: 1_234, perTryMs: undefined });
    const text = interceptor.describe();
    expect(text).toContain('Outrigger client for "echo"');
    expect(text).toMatch(/total-deadline\s+on/);
    expect(text).toMatch(/route \+ balancer\s+off/);
  });

  it('refuses bad options with CONFIG_INVALID at creation', () => {
    const make = (options: Record<string, unknown>) => () =>
      outriggerInterceptor({ service: 'echo', env: {}, ...options } as OutriggerInterceptorOptions);
    const invalid = expect.objectContaining({ code: 'CONFIG_INVALID' });
    expect(make({ discovery: ['127.0.0.1:1'] })).toThrow(invalid);
    expect(make({ discovery: ['127.0.0.1:1'] })).toThrow(/discovery/);
    expect(make({ balancer: 'round-robin' })).toThrow(/balancer/);
    expect(make({ outlierDetection: { consecutiveFailures: 3 } })).toThrow(/outlierDetection/);
    expect(make({ idempotent: 'yes' })).toThrow(/idempotent/);
    expect(make({ classifyStatus: 3 })).toThrow(/classifyStatus/);
    expect(make({ methods: { Unary: { idem: true } } })).toThrow(/methods\.Unary/);
    expect(make({ timeout: { totalMs: -1 } })).toThrow(invalid);
    expect(make({ retyr: false })).toThrow(invalid);
    expect(() => outriggerInterceptor(null as unknown as OutriggerInterceptorOptions)).toThrow(
      invalid,
    );
    expect(make({ outlierDetection: false })).not.toThrow();
  });
});
