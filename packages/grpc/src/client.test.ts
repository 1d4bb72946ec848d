import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { createGrpcClient, type OutriggerGrpcClient } from './client.js';
import {
  deadPort,
  EchoClient,
  type EchoReply,
  type EchoServer,
  startEchoServer,
} from './test-support/echo.js';
import { eventually } from './test-support/eventually.js';

type Echo = OutriggerGrpcClient<Record<string, unknown>>;
type Fn = (...args: unknown[]) => unknown;

const servers: EchoServer[] = [];
const clients: Echo[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function servers_(n: number, behaviour = {}): Promise<EchoServer[]> {
  const started = await Promise.all(Array.from({ length: n }, () => startEchoServer(behaviour)));
  servers.push(...started);
  return started;
}

function client(options: Record<string, unknown>): Echo {
  const c = createGrpcClient(EchoClient, { service: 'echo', ...options }) as Echo;
  clients.push(c);
  return c;
}

function unary(
  c: Echo,
  method: string,
  ...args: unknown[]
): Promise<{
  error: grpc.ServiceError | null;
  value: EchoReply | undefined;
  call: grpc.ClientUnaryCall;
  events: string[];
  metadata?: grpc.Metadata | undefined;
  status?: grpc.StatusObject | undefined;
}> {
  return new Promise((resolve) => {
    const events: string[] = [];
    let metadata: grpc.Metadata | undefined;
    const result: { error: grpc.ServiceError | null; value: EchoReply | undefined } = {
      error: null,
      value: undefined,
    };
    const call = (c[method] as Fn)(
      ...args,
      (error: grpc.ServiceError | null, value?: EchoReply) => {
        events.push('callback');
        result.error = error;
        result.value = value;
      },
    ) as grpc.ClientUnaryCall;
    call.on('metadata', (m: grpc.Metadata) => {
      events.push('metadata');
      metadata = m;
    });
    call.on('status', (status: grpc.StatusObject) => {
      events.push('status');
      resolve({ ...result, call, events, metadata, status });
    });
  });
}

function collect(stream: grpc.ClientReadableStream<EchoReply>): Promise<{
  messages: EchoReply[];
  error?: grpc.ServiceError;
  status?: grpc.StatusObject;
  metadata?: grpc.Metadata;
}> {
  return new Promise((resolve) => {
    const messages: EchoReply[] = [];
    const out: {
      messages: EchoReply[];
      error?: grpc.ServiceError;
      status?: grpc.StatusObject;
      metadata?: grpc.Metadata;
    } = { messages };
    stream.on('metadata', (m) => (out.metadata = m));
    stream.on('data', (m: EchoReply) => messages.push(m));
    stream.on('error', (e: grpc.ServiceError) => (out.error = e));
    stream.on('status', (s: grpc.StatusObject) => {
      out.status = s;
      // 'end' follows the status once the messages are read; the status is what callers wait on.
      setImmediate(() => resolve(out));
    });
  });
}

describe('createGrpcClient: the generated client surface', () => {
  it('answers unary calls in every argument form, under the method name and its alias', async () => {
    const [s] = await servers_(1);
    const c = client({ discovery: [s!.address] });
    const md = new grpc.Metadata();
    md.set('x-who', 'me');
    const forms = [
      await unary(c, 'Say', { text: 'a' }),
      await unary(c, 'say', { text: 'b' }, md),
      await unary(c, 'Say', { text: 'c' }, { deadline: Date.now() + 5_000 }),
      await unary(c, 'say', { text: 'd' }, md, { deadline: new Date(Date.now() + 5_000) }),
    ];
    expect(forms.map((f) => f.value?.text)).toEqual(['a', 'b', 'c', 'd']);
    for (const f of forms) {
      expect(f.error).toBeNull();
      expect(f.events).toEqual(['metadata', 'callback', 'status']);
      expect(f.status?.code).toBe(grpc.status.OK);
      expect(f.call.getPeer()).toContain(String(s!.port));
    }
    expect(s!.lastMetadata.Say!.get('x-who')).toEqual(['me']);
    expect(await c.unary.Say!({ text: 'promise' })).toMatchObject({ text: 'promise' });
    // The attempt switches grpc-js's caller-stack capture off around call creation only.
    expect(Error.stackTraceLimit).toBe(10);
    expect(new Error('x').stack?.split('\n').length).toBeGreaterThan(1);
    expect(await c.unary.say!({ text: 'alias' }, md)).toMatchObject({ text: 'alias' });
  });

  it('streams server responses, and takes client streams and bidi with metadata and trailers', async () => {
    const [s] = await servers_(1);
    const c = client({ discovery: [s!.address] });
    const out = await collect(
      (c.Count as Fn)({ text: 'n', count: 5 }) as grpc.ClientReadableStream<EchoReply>,
    );
    expect(out.messages.map((m) => m.index)).toEqual([0, 1, 2, 3, 4]);
    expect(out.status?.code).toBe(grpc.status.OK);
    expect(out.error).toBeUndefined();

    const collected = await new Promise<{ value?: EchoReply; status?: grpc.StatusObject }>(
      (resolve) => {
        const r: { value?: EchoReply; status?: grpc.StatusObject } = {};
        const w = (c.collect as Fn)((_e: unknown, v: EchoReply) => {
          r.value = v;
        }) as grpc.ClientWritableStream<unknown>;
        w.on('status', (st: grpc.StatusObject) => resolve({ ...r, status: st }));
        for (const t of ['x', 'y', 'z']) w.write({ text: t });
        w.end();
      },
    );
    expect(collected.value).toMatchObject({ text: 'x,y,z', index: 3 });
    expect(collected.status?.metadata.get('x-count')).toEqual(['3']);

    const md = new grpc.Metadata();
    md.set('x-echo', 'hello');
    const duplex = (c.Chat as Fn)(md) as grpc.ClientDuplexStream<unknown, EchoReply>;
    const chat = collect(duplex);
    duplex.write({ text: 'p' });
    duplex.write({ text: 'q' });
    duplex.end();
    const answered = await chat;
    expect(answered.messages.map((m) => m.text)).toEqual(['p', 'q']);
    expect(answered.metadata?.get('x-echo')).toEqual(['hello']);
    expect(answered.status?.metadata.get('x-chat-count')).toEqual(['2']);
  });
});

describe('createGrpcClient: placement and retries', () => {
  it('retries UNAVAILABLE on another endpoint', async () => {
    const [bad, good] = await servers_(2);
    bad!.behaviour = { fail: () => ({ code: grpc.status.UNAVAILABLE }) };
    const c = client({
      discovery: [bad!.address, good!.address],
      balancer: 'round-robin',
      outlierDetection: false,
    });
    for (let i = 0; i < 6; i++) {
      const r = await unary(c, 'Say', { text: String(i) });
      expect(r.error).toBeNull();
      expect(r.value?.peer).toBe(String(good!.port));
    }
    expect(bad!.calls.Say).toBeGreaterThan(0);
    expect(good!.calls.Say).toBe(6);
  });

  it('does not retry NOT_FOUND, and gives up on INTERNAL', async () => {
    const [s] = await servers_(1, {
      fail: () => ({ code: grpc.status.NOT_FOUND, details: 'no such' }),
    });
    const c = client({ discovery: [s!.address] });
    const r = await unary(c, 'Say', { text: 'x' });
    expect(r.error?.code).toBe(grpc.status.NOT_FOUND);
    expect(r.error?.details).toBe('no such');
    expect(r.status?.code).toBe(grpc.status.NOT_FOUND);
    expect(s!.calls.Say).toBe(1);
  });

  it('retries RESOURCE_EXHAUSTED only with grpc-retry-pushback-ms, and honours it', async () => {
    const [s] = await servers_(1);
    s!.behaviour = {
      fail: (_m, n) =>
        n === 1
          ? { code: grpc.status.RESOURCE_EXHAUSTED, trailers: { 'grpc-retry-pushback-ms': '50' } }
          : undefined,
    };
    const c = client({ discovery: [s!.address] });
    const started = performance.now();
    const r = await unary(c, 'Say', { text: 'x' });
    expect(r.error).toBeNull();
    expect(s!.calls.Say).toBe(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);

    s!.calls.Say = 0;
    s!.behaviour = { fail: () => ({ code: grpc.status.RESOURCE_EXHAUSTED }) };
    const plain = await unary(c, 'Say', { text: 'y' });
    expect(plain.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(s!.calls.Say).toBe(1);
  });

  it('does not retry a method configured non-idempotent, except a call that never left', async () => {
    const [s] = await servers_(1, { fail: () => ({ code: grpc.status.UNAVAILABLE }) });
    const c = client({ discovery: [s!.address], methods: { Charge: { idempotent: false } } });
    const r = await unary(c, 'Charge', { text: 'x' });
    expect(r.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(s!.calls.Charge).toBe(1);
    const ok = await servers_(1);
    const dead = await deadPort();
    const requeued = client({
      service: 'echo2',
      discovery: [`127.0.0.1:${dead}`, ok[0]!.address],
      balancer: 'round-robin',
      methods: { charge: { idempotent: false } },
    });
    for (let i = 0; i < 4; i++)
      expect((await unary(requeued, 'Charge', { text: 'z' })).error).toBeNull();
  });

  it('retries a server stream before its first message and never after', async () => {
    const [s] = await servers_(1);
    s!.behaviour = {
      fail: (m, n) => (m === 'Count' && n === 1 ? { code: grpc.status.UNAVAILABLE } : undefined),
    };
    const c = client({ discovery: [s!.address] });
    const first = await collect(
      (c.Count as Fn)({ text: 'r', count: 3 }) as grpc.ClientReadableStream<EchoReply>,
    );
    expect(first.messages).toHaveLength(3);
    expect(s!.calls.Count).toBe(2);

    s!.calls.Count = 0;
    s!.behaviour = { failStreamAfter: 2 };
    const cut = await collect(
      (c.Count as Fn)({ text: 'r', count: 5 }) as grpc.ClientReadableStream<EchoReply>,
    );
    expect(cut.messages.map((m) => m.index)).toEqual([0, 1]);
    expect(cut.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(s!.calls.Count).toBe(1);
  });

  it('replays a client stream on a retry, and not once it outgrew maxReplayBytes', async () => {
    const [s] = await servers_(1);
    s!.behaviour = {
      fail: (m, n) => (m === 'Collect' && n === 1 ? { code: grpc.status.UNAVAILABLE } : undefined),
    };
    const send = (c: Echo, texts: string[]) =>
      new Promise<{ error: grpc.ServiceError | null; value?: EchoReply | undefined }>((resolve) => {
        const w = (c.Collect as Fn)((error: grpc.ServiceError | null, value?: EchoReply) =>
          resolve({ error, value }),
        ) as grpc.ClientWritableStream<unknown>;
        for (const t of texts) w.write({ text: t });
        w.end();
      });
    const c = client({ discovery: [s!.address] });
    const replayed = await send(c, ['a', 'b']);
    expect(replayed.error).toBeNull();
    expect(replayed.value?.text).toBe('a,b');
    expect(s!.calls.Collect).toBe(2);

    s!.calls.Collect = 0;
    const small = client({ service: 'echo-small', discovery: [s!.address], maxReplayBytes: 4 });
    const lost = await send(small, ['long message', 'b']);
    expect(lost.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(s!.calls.Collect).toBe(1);
  });
});

describe('createGrpcClient: hedges, routes and faults', () => {
  it('hedges a slow unary call to another endpoint and cancels the loser', async () => {
    const [slow, fast] = await servers_(2);
    slow!.behaviour = { delay: () => 2_000 };
    const c = client({
      discovery: [slow!.address, fast!.address],
      balancer: 'round-robin',
      hedge: { delayMs: 30 },
      outlierDetection: false,
    });
    for (let i = 0; i < 4; i++) {
      const started = performance.now();
      const r = await unary(c, 'Say', { text: String(i) });
      expect(r.error).toBeNull();
      expect(r.value?.peer).toBe(String(fast!.port));
      expect(performance.now() - started).toBeLessThan(1_500);
    }
    expect(slow!.calls.Say).toBeGreaterThan(0);
    await eventually(() => expect(slow!.cancelled.Say).toBe(slow!.calls.Say));
  });

  it('routes by method path to a subset of endpoints chosen by metadata', async () => {
    const [v1, v2] = await servers_(2);
    const { endpoint } = await import('@outrigger/core');
    const discovery = {
      subscribe: (_s: string, l: { onEndpoints(e: unknown[]): void }) => {
        l.onEndpoints([
          endpoint({ host: '127.0.0.1', port: v1!.port, metadata: { version: 'v1' } }),
          endpoint({ host: '127.0.0.1', port: v2!.port, metadata: { version: 'v2' } }),
        ]);
        return () => {};
      },
      close: async () => {},
    };
    const c = client({
      discovery,
      routes: [
        {
          match: { path: { exact: '/outrigger.echo.Echo/Charge' } },
          split: [{ subset: { version: 'v2' }, weight: 1 }],
        },
      ],
    });
    for (let i = 0; i < 10; i++) {
      expect((await unary(c, 'Charge', { text: 'c' })).value?.peer).toBe(String(v2!.port));
      await unary(c, 'Say', { text: 's' });
    }
    expect(v1!.calls.Charge).toBeUndefined();
    expect((v1!.calls.Say ?? 0) + (v2!.calls.Say ?? 0)).toBe(10);
  });

  it('injects aborts as the gRPC status their HTTP status maps to, with the fault as cause', async () => {
    const [s] = await servers_(1);
    const c = client({ discovery: [s!.address], fault: { abort: { percent: 100, status: 403 } } });
    const r = await unary(c, 'Say', { text: 'x' });
    expect(r.error?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect((r.error?.cause as { code?: string } | undefined)?.code).toBe('FAULT_INJECTED');
    expect(s!.calls.Say).toBeUndefined();
  });
});

describe('createGrpcClient: idempotency and health', () => {
  it("takes the proto's idempotency_level when the client says methods are not idempotent", async () => {
    const [s] = await servers_(1);
    s!.behaviour = { fail: (_m, n) => (n === 1 ? { code: grpc.status.UNAVAILABLE } : undefined) };
    const c = client({ discovery: [s!.address], idempotent: false });
    // Say is `option idempotency_level = IDEMPOTENT` in echo.proto: retried.
    expect((await unary(c, 'Say', { text: 'x' })).error).toBeNull();
    expect(s!.calls.Say).toBe(2);
    // Charge says nothing: with `idempotent: false`, its UNAVAILABLE is not retried.
    const charged = await unary(c, 'Charge', { text: 'x' });
    expect(charged.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(s!.calls.Charge).toBe(1);
  });

  it('sends no new calls to an endpoint whose health watch reports NOT_SERVING, until SERVING', async () => {
    const [a, b] = await servers_(2);
    const c = client({
      discovery: [a!.address, b!.address],
      healthCheck: true,
      balancer: 'round-robin',
    });
    for (let i = 0; i < 4; i++) await unary(c, 'Say', { text: 'warm' });
    expect(a!.calls.Say).toBeGreaterThan(0);
    const endpoints = () => {
      const balancer = c.snapshot().balancer;
      return balancer === false ? [] : balancer.endpoints;
    };
    a!.setHealth(2);
    await eventually(() => expect(endpoints()).toHaveLength(1));
    const before = a!.calls.Say!;
    for (let i = 0; i < 10; i++) expect((await unary(c, 'Say', { text: 'x' })).error).toBeNull();
    expect(a!.calls.Say).toBe(before);
    a!.setHealth(1);
    await eventually(() => expect(endpoints()).toHaveLength(2));
    for (let i = 0; i < 10; i++) await unary(c, 'Say', { text: 'y' });
    expect(a!.calls.Say).toBeGreaterThan(before);
  });
});

describe('createGrpcClient: deadlines, refusals and cancellation', () => {
  it("sends Outrigger's deadline as grpc-timeout, shrunk by the caller's", async () => {
    const [s] = await servers_(1);
    const c = client({ discovery: [s!.address], timeout: { totalMs: 3_000 } });
    await unary(c, 'Say', { text: 'x' });
    const own = s!.lastDeadline - Date.now();
    expect(own).toBeGreaterThan(2_500);
    expect(own).toBeLessThanOrEqual(3_050);
    await unary(c, 'Say', { text: 'x' }, { deadline: Date.now() + 800 });
    const shrunk = s!.lastDeadline - Date.now();
    expect(shrunk).toBeGreaterThan(500);
    expect(shrunk).toBeLessThanOrEqual(850);
    // A caller's later deadline never extends Outrigger's.
    await unary(c, 'Say', { text: 'x' }, { deadline: Date.now() + 60_000 });
    expect(s!.lastDeadline - Date.now()).toBeLessThanOrEqual(3_050);
  });

  it('retries an attempt cut by its per-try timeout (the wire carries the total deadline)', async () => {
    const [s] = await servers_(1, { delay: (_m: string, n: number) => (n === 1 ? 3_000 : 0) });
    const c = client({ discovery: [s!.address], timeout: { totalMs: 2_000, perTryMs: 100 } });
    const r = await unary(c, 'Say', { text: 'x' });
    expect(r.error).toBeNull();
    expect(s!.calls.Say).toBe(2);
    const onWire = s!.lastDeadline - Date.now();
    expect(onWire).toBeGreaterThan(1_500);
    expect(onWire).toBeLessThanOrEqual(2_000);
  });

  it('ends a call that outlives its deadline with DEADLINE_EXCEEDED and the TIMEOUT as cause', async () => {
    const [s] = await servers_(1);
    const c = client({ discovery: [s!.address], timeout: { totalMs: 150 }, retry: false });
    const r = await unary(c, 'Say', { text: 'slow', delayMs: 2_000 });
    expect(r.error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
  });

  it('surfaces refusals as ServiceErrors with the documented statuses and the refusal as cause', async () => {
    const dead = await deadPort();
    const none = client({
      service: 'nowhere',
      discovery: { subscribe: () => () => {}, close: async () => {} },
      discoveryInitialWaitMs: 0,
      timeout: { totalMs: 100 },
    });
    const noEndpoints = await unary(none, 'Say', { text: 'x' });
    // Whichever timer fires first at the deadline, the call says why: no endpoint set came.
    expect(noEndpoints.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect((noEndpoints.error?.cause as { code?: string } | undefined)?.code).toBe('NO_ENDPOINTS');

    const [s] = await servers_(1, { fail: () => ({ code: grpc.status.INTERNAL }) });
    const breaking = client({
      service: 'breaking',
      discovery: [s!.address],
      retry: false,
      breaker: { volumeThreshold: 2, errorThresholdPercent: 50 },
      outlierDetection: false,
    });
    let refused: grpc.ServiceError | null = null;
    for (let i = 0; i < 10 && refused === null; i++) {
      const r = await unary(breaking, 'Say', { text: 'x' });
      if ((r.error?.cause as { code?: string } | undefined)?.code === 'CIRCUIT_OPEN')
        refused = r.error;
    }
    expect(refused?.code).toBe(grpc.status.UNAVAILABLE);
    expect(refused?.metadata).toBeInstanceOf(grpc.Metadata);

    const [slow] = await servers_(1);
    const full = client({
      service: 'full',
      discovery: [slow!.address],
      bulkhead: { maxConcurrent: 1, maxQueue: 0 },
    });
    const first = unary(full, 'Say', { text: 'hold', delayMs: 200 });
    const second = await unary(full, 'Say', { text: 'x' });
    expect(second.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect((second.error?.cause as { code?: string } | undefined)?.code).toBe('BULKHEAD_FULL');
    expect((await first).error).toBeNull();
    void dead;
  });

  it('ends a call whose reply will not parse with INTERNAL, and its neighbours go on', async () => {
    // A server whose Say answers bytes that are not an EchoReply (a truncated varint).
    const server = new grpc.Server();
    const say = EchoClient.service.Say!;
    server.addService(
      { Say: { ...say, responseSerialize: () => Buffer.from([0x10, 0xff]) } },
      { Say: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, {}) },
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    const [good] = await servers_(1);
    const garbage = client({ service: 'garbage', discovery: [`127.0.0.1:${port}`] });
    const neighbour = client({ service: 'neighbour', discovery: [good!.address] });
    const [broken, fine] = await Promise.all([
      unary(garbage, 'Say', { text: 'x' }),
      unary(neighbour, 'Say', { text: 'y' }),
    ]);
    expect(broken.error?.code).toBe(grpc.status.INTERNAL);
    expect(broken.error?.details).toMatch(/Response message parsing error/);
    expect(fine.error).toBeNull();
    expect(garbage.snapshot().bulkhead).toMatchObject({ inFlight: 0 });
    server.forceShutdown();
  });

  it('a client stream that fails with writes waiting ends through its callback, not an error event', async () => {
    const none = { subscribe: () => () => {}, close: async () => {} };
    const c = client({
      service: 'stuck',
      discovery: none,
      timeout: { totalMs: 100 },
      maxReplayBytes: 0,
    });
    const errors: unknown[] = [];
    const result = await new Promise<grpc.ServiceError | null>((resolve) => {
      const w = (c.Collect as Fn)((error: grpc.ServiceError | null) =>
        resolve(error),
      ) as grpc.ClientWritableStream<unknown>;
      w.on('error', (e) => errors.push(e));
      // Past maxReplayBytes with no attempt started: these writes wait for one that never comes.
      w.write({ text: 'a' });
      w.write({ text: 'b' });
    });
    // No endpoint set ever came: at the deadline it ends as NO_ENDPOINTS (UNAVAILABLE), whichever
    // timer fires first, and through the callback.
    expect(result?.code).toBe(grpc.status.UNAVAILABLE);
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toEqual([]);
  });

  it('cancel() ends the call with CANCELLED and cancels it on the wire', async () => {
    const [s] = await servers_(1);
    const c = client({ discovery: [s!.address] });
    const result = new Promise<{ error: grpc.ServiceError | null; status?: grpc.StatusObject }>(
      (resolve) => {
        let error: grpc.ServiceError | null = null;
        const call = (c.Say as Fn)(
          { text: 'slow', delayMs: 5_000 },
          (e: grpc.ServiceError | null) => (error = e),
        ) as grpc.ClientUnaryCall;
        call.on('status', (status: grpc.StatusObject) => resolve({ error, status }));
        setTimeout(() => call.cancel(), 50);
      },
    );
    const r = await result;
    expect(r.error?.code).toBe(grpc.status.CANCELLED);
    expect(r.error?.details).toBe('Cancelled on client');
    expect(s!.calls.Say).toBe(1);
    await eventually(() => expect(s!.cancelled.Say).toBe(1));

    const stream = (c.Count as Fn)({
      text: 'n',
      count: 20_000,
    }) as grpc.ClientReadableStream<EchoReply>;
    const ended = collect(stream);
    stream.once('data', () => stream.cancel());
    const cut = await ended;
    expect(cut.error?.code).toBe(grpc.status.CANCELLED);
    expect(cut.messages.length).toBeLessThan(20_000);
  });

  it('closes channels: when an endpoint leaves, and all of them on close()', async () => {
    const [a, b] = await servers_(2);
    let listener: { onEndpoints(e: unknown[]): void } | undefined;
    const { endpoint } = await import('@outrigger/core');
    const discovery = {
      subscribe: (_s: string, l: { onEndpoints(e: unknown[]): void }) => {
        listener = l;
        l.onEndpoints([
          endpoint({ host: '127.0.0.1', port: a!.port }),
          endpoint({ host: '127.0.0.1', port: b!.port }),
        ]);
        return () => {};
      },
      close: async () => {},
    };
    const c = client({ discovery, balancer: 'round-robin' });
    await unary(c, 'Say', { text: '1' });
    await unary(c, 'Say', { text: '2' });
    expect(c.openChannels).toBe(2);
    listener!.onEndpoints([endpoint({ host: '127.0.0.1', port: b!.port })]);
    expect(c.openChannels).toBe(1);
    await unary(c, 'Say', { text: '3' });
    await c.close();
    expect(c.openChannels).toBe(0);
    expect(() => (c.Say as Fn)({ text: 'x' }, () => {})).toThrow(/closed/);
  });

  it("keeps a leaving endpoint's channel until its call in flight ends, then closes it", async () => {
    const [a, b] = await servers_(2);
    let listener: { onEndpoints(e: unknown[]): void } | undefined;
    const { endpoint } = await import('@outrigger/core');
    const discovery = {
      subscribe: (_s: string, l: { onEndpoints(e: unknown[]): void }) => {
        listener = l;
        l.onEndpoints([endpoint({ host: '127.0.0.1', port: a!.port })]);
        return () => {};
      },
      close: async () => {},
    };
    const c = client({ discovery });
    const slow = unary(c, 'Say', { text: 'slow', delayMs: 300 });
    await eventually(() => expect(a!.calls.Say).toBe(1));
    listener!.onEndpoints([endpoint({ host: '127.0.0.1', port: b!.port })]);
    // The call in flight keeps its channel: it is not cut by the update.
    expect(c.openChannels).toBe(1);
    const done = await slow;
    expect(done.error).toBeNull();
    expect(done.value?.peer).toBe(String(a!.port));
    expect(c.openChannels).toBe(0);
  });

  it('refuses what is not a grpc-js client, unknown methods and bad options with CONFIG_INVALID', () => {
    const bad = [
      () => createGrpcClient(class {} as never, { service: 's', discovery: ['127.0.0.1:1'] }),
      () =>
        createGrpcClient(EchoClient, {
          service: 's',
          discovery: ['127.0.0.1:1'],
          methods: { Nope: {} },
        }),
      () =>
        createGrpcClient(EchoClient, {
          service: 's',
          discovery: ['127.0.0.1:1'],
          maxReplayBytes: -1,
        }),
      () =>
        createGrpcClient(EchoClient, {
          service: 's',
          discovery: ['127.0.0.1:1'],
          credentials: 'tls' as never,
        }),
      () => createGrpcClient(EchoClient, null as never),
      () =>
        createGrpcClient(EchoClient, {
          service: 's',
          discovery: ['127.0.0.1:1'],
          retry: { maxAttempts: 0 },
        }),
    ];
    for (const make of bad)
      expect(make).toThrowError(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(bad[1]).toThrow(/Say, say/);
  });

  it('reads OUTRIGGER_<SERVICE>_* like the HTTP client, and describes its chain', () => {
    process.env.OUTRIGGER_ENVY_TIMEOUT_MS = '1234';
    process.env.OUTRIGGER_ENVY_RETRY_MAX_ATTEMPTS = 'lots';
    try {
      expect(() => client({ service: 'envy', discovery: ['127.0.0.1:1'] })).toThrow(
        /OUTRIGGER_ENVY_RETRY_MAX_ATTEMPTS/,
      );
      delete process.env.OUTRIGGER_ENVY_RETRY_MAX_ATTEMPTS;
      const c = client({ service: 'envy', discovery: ['127.0.0.1:1'] });
      expect(c.config.timeout).toMatchObject({ totalMs: 1234 });
      expect(c.describe()).toMatch(
        /total-deadline[\s\S]*retry[\s\S]*breaker[\s\S]*route \+ balancer/,
      );
    } finally {
      delete process.env.OUTRIGGER_ENVY_TIMEOUT_MS;
      delete process.env.OUTRIGGER_ENVY_RETRY_MAX_ATTEMPTS;
    }
  });
});
