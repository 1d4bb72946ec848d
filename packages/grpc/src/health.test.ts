import * as grpc from '@grpc/grpc-js';
import {
  type Discovery,
  type DiscoveryListener,
  type Endpoint,
  endpoint,
  ManualClock,
  type StaticDiscovery,
  staticDiscovery,
} from '@outrigger/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  decodeHealthCheckRequest,
  decodeHealthCheckResponse,
  encodeHealthCheckRequest,
  encodeHealthCheckResponse,
  HEALTH_CHECK_PATH,
  type HealthCheckRequest,
  type HealthCheckResponse,
  healthGate,
  ServingStatus,
} from './health.js';
import { HEALTH_SERVICE } from './test-support/health-service.js';

type WatchCall = grpc.ServerWritableStream<HealthCheckRequest, HealthCheckResponse>;

/** A real grpc-js server on 127.0.0.1 with (or without) a scriptable health service. */
class Backend {
  readonly server = new grpc.Server();
  status: number = ServingStatus.SERVING;
  readonly watches = new Set<WatchCall>();
  readonly requests: string[] = [];
  opened = 0;
  cancelled = 0;
  /** Watches still to fail at once with UNAVAILABLE, before any message. */
  failWatches = 0;
  address = '';

  constructor(withHealth = true) {
    if (!withHealth) return;
    this.server.addService(HEALTH_SERVICE, {
      Check: (
        _call: grpc.ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>,
        callback: grpc.sendUnaryData<HealthCheckResponse>,
      ) => callback(null, { status: this.status }),
      Watch: (call: WatchCall) => {
        this.opened++;
        this.requests.push(call.request.service);
        if (this.failWatches > 0) {
          this.failWatches--;
          call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'not now' });
          return;
        }
        this.watches.add(call);
        call.on('cancelled', () => {
          this.cancelled++;
          this.watches.delete(call);
        });
        call.write({ status: this.status });
      },
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

  set(status: number): void {
    this.status = status;
    for (const call of this.watches) call.write({ status });
  }

  /** Ends every open watch from the server's side with `code`. */
  endWatches(code: grpc.status): void {
    for (const call of [...this.watches]) {
      this.watches.delete(call);
      call.emit('error', { code, details: 'watch ended by the test' });
    }
  }
}

const backends: Backend[] = [];
const clients = new Map<string, grpc.Client>();
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  for (const client of clients.values()) client.close();
  clients.clear();
  for (const backend of backends.splice(0)) backend.server.forceShutdown();
});

async function startBackends(...health: boolean[]): Promise<Backend[]> {
  const started = await Promise.all(health.map((h) => new Backend(h).start()));
  backends.push(...started);
  return started;
}

/** The caller's channel per endpoint, as the gRPC client's EndpointChannels would hold it. */
function channelFor(e: Endpoint): grpc.Client {
  let client = clients.get(e.id);
  if (client === undefined) {
    client = new grpc.Client(`${e.host}:${e.port}`, grpc.credentials.createInsecure());
    clients.set(e.id, client);
  }
  return client;
}

/** The statuses the watches on `backend`'s channel end with, as the gate's calls see them. */
function watchStatuses(backend: Backend): number[] {
  const [host, port] = backend.address.split(':') as [string, string];
  const client = channelFor(endpoint({ host, port: Number(port) }));
  const original = client.makeServerStreamRequest.bind(client);
  const statuses: number[] = [];
  vi.spyOn(client, 'makeServerStreamRequest').mockImplementation(((...args: unknown[]) => {
    const call = (original as (...a: unknown[]) => grpc.ClientReadableStream<unknown>)(...args);
    call.on('status', (status: grpc.StatusObject) => statuses.push(status.code));
    return call;
  }) as typeof client.makeServerStreamRequest);
  return statuses;
}

/** What a subscriber saw: each set as its list of addresses. */
function record(): DiscoveryListener & { sets: string[][]; errors: unknown[]; last(): string[] } {
  const sets: string[][] = [];
  const errors: unknown[] = [];
  return {
    sets,
    errors,
    onEndpoints: (endpoints) => sets.push(endpoints.map((e) => e.id)),
    onError: (error) => errors.push(error),
    last: () => sets.at(-1) ?? [],
  };
}

function gate(
  inner: Discovery,
  clock = new ManualClock(),
  checkService?: string,
): { gate: Discovery; clock: ManualClock } {
  const g = healthGate(inner, {
    channelFor,
    clock,
    random: () => 0.5,
    ...(checkService === undefined ? {} : { checkService }),
  });
  closers.push(() => g.close());
  return { gate: g, clock };
}

const waitFor = <T>(check: () => T) => vi.waitFor(check, { timeout: 2_000, interval: 5 });

describe('healthGate', () => {
  it('holds back an endpoint that reports NOT_SERVING and lets it back on SERVING', async () => {
    const [a, b] = await startBackends(true, true);
    const { gate: g } = gate(staticDiscovery([a!.address, b!.address]));
    const seen = record();
    g.subscribe('payments', seen);
    // Not answered yet counts as serving: the whole set at once.
    expect(seen.sets).toEqual([[a!.address, b!.address]]);
    await waitFor(() => expect(b!.watches.size).toBe(1));

    b!.set(ServingStatus.NOT_SERVING);
    await waitFor(() => expect(seen.last()).toEqual([a!.address]));
    b!.set(ServingStatus.SERVING);
    await waitFor(() => expect(seen.last()).toEqual([a!.address, b!.address]));
    expect(seen.sets).toEqual([[a!.address, b!.address], [a!.address], [a!.address, b!.address]]);
    // One watch per endpoint, asking about the whole server by default.
    expect([a!.opened, b!.opened]).toEqual([1, 1]);
    expect(a!.requests).toEqual(['']);
  });

  it('holds back SERVICE_UNKNOWN and asks about the service it was given', async () => {
    const [a, b] = await startBackends(true, true);
    b!.status = ServingStatus.SERVICE_UNKNOWN;
    const { gate: g } = gate(staticDiscovery([a!.address, b!.address]), undefined, 'pkg.Payments');
    const seen = record();
    g.subscribe('payments', seen);
    await waitFor(() => expect(seen.last()).toEqual([a!.address]));
    expect(b!.requests).toEqual(['pkg.Payments']);
  });

  it('keeps a server without the health service (UNIMPLEMENTED) and stops watching it', async () => {
    const [a, plain] = await startBackends(true, false);
    a!.status = ServingStatus.NOT_SERVING;
    const statuses = watchStatuses(plain!);
    const { gate: g, clock } = gate(staticDiscovery([a!.address, plain!.address]));
    const seen = record();
    g.subscribe('payments', seen);
    await waitFor(() => expect(seen.last()).toEqual([plain!.address]));
    // Its watch ended with UNIMPLEMENTED; nothing is scheduled to try it again.
    await waitFor(() => expect(statuses).toEqual([grpc.status.UNIMPLEMENTED]));
    expect(clock.pendingTimers).toBe(0);
    expect(seen.last()).toEqual([plain!.address]);
  });

  it('delivers the whole set when every endpoint is held back (panic mode)', async () => {
    const [a, b] = await startBackends(true, true);
    const { gate: g } = gate(staticDiscovery([a!.address, b!.address]));
    const seen = record();
    g.subscribe('payments', seen);
    await waitFor(() => expect(a!.watches.size + b!.watches.size).toBe(2));
    a!.set(ServingStatus.NOT_SERVING);
    await waitFor(() => expect(seen.last()).toEqual([b!.address]));
    b!.set(ServingStatus.NOT_SERVING);
    await waitFor(() => expect(seen.last()).toEqual([a!.address, b!.address]));
    a!.set(ServingStatus.SERVING);
    await waitFor(() => expect(seen.last()).toEqual([a!.address]));
  });

  it('re-opens a failed watch after a backoff, keeping the endpoint held back meanwhile', async () => {
    const [a, b] = await startBackends(true, true);
    b!.status = ServingStatus.NOT_SERVING;
    const { gate: g, clock } = gate(staticDiscovery([a!.address, b!.address]));
    const seen = record();
    g.subscribe('payments', seen);
    await waitFor(() => expect(seen.last()).toEqual([a!.address]));

    // The watch had delivered a message: re-opened at once (A17), and that one fails at once.
    b!.failWatches = 1;
    b!.endWatches(grpc.status.UNAVAILABLE);
    await waitFor(() => expect(clock.pendingTimers).toBe(1));
    expect(b!.opened).toBe(2);
    expect(seen.last()).toEqual([a!.address]);

    b!.status = ServingStatus.SERVING;
    // Full jitter at random 0.5 over the first 1 s step: 500 ms.
    clock.advance(499);
    expect(b!.opened).toBe(2);
    clock.advance(1);
    await waitFor(() => expect(seen.last()).toEqual([a!.address, b!.address]));
    expect(b!.opened).toBe(3);
    expect(clock.pendingTimers).toBe(0);
  });

  it('stops the watch of an endpoint that leaves the inner set', async () => {
    const [a, b] = await startBackends(true, true);
    const inner: StaticDiscovery = staticDiscovery([a!.address, b!.address]);
    const { gate: g } = gate(inner);
    const seen = record();
    g.subscribe('payments', seen);
    await waitFor(() => expect(b!.watches.size).toBe(1));
    inner.update([a!.address]);
    expect(seen.last()).toEqual([a!.address]);
    await waitFor(() => expect(b!.cancelled).toBe(1));
    expect(a!.cancelled).toBe(0);
  });

  it('close() cancels every watch, clears its timers and closes the inner discovery', async () => {
    const [a, b] = await startBackends(true, true);
    b!.failWatches = 1;
    const inner = staticDiscovery([a!.address, b!.address]);
    const closeInner = vi.spyOn(inner, 'close');
    const { gate: g, clock } = gate(inner);
    const seen = record();
    g.subscribe('payments', seen);
    await waitFor(() => expect(a!.watches.size).toBe(1));
    await waitFor(() => expect(clock.pendingTimers).toBe(1));

    await g.close();
    expect(closeInner).toHaveBeenCalledTimes(1);
    expect(clock.pendingTimers).toBe(0);
    await waitFor(() => expect(a!.cancelled).toBe(1));
    expect(a!.watches.size).toBe(0);
    // Nothing re-opens later, and a subscriber after close gets nothing.
    clock.advance(200_000);
    expect(b!.opened).toBe(1);
    const late = record();
    g.subscribe('payments', late);
    expect(late.sets).toEqual([]);
  });

  it('stops watching when the last subscriber leaves', async () => {
    const [a] = await startBackends(true);
    const { gate: g } = gate(staticDiscovery([a!.address]));
    const first = g.subscribe('payments', record());
    const second = record();
    const leave = g.subscribe('payments', second);
    expect(second.sets).toEqual([[a!.address]]);
    await waitFor(() => expect(a!.watches.size).toBe(1));
    first();
    leave();
    await waitFor(() => expect(a!.cancelled).toBe(1));
  });

  it('passes errors through; a subscriber before any set gets the last error at once', () => {
    const listeners: DiscoveryListener[] = [];
    const inner: Discovery = {
      subscribe: (_service, listener) => {
        listeners.push(listener);
        return () => {};
      },
      close: async () => {},
    };
    const { gate: g } = gate(inner);
    const first = record();
    g.subscribe('payments', first);
    const boom = new Error('registry down');
    for (const l of listeners) l.onError?.(boom);
    expect(first.errors).toEqual([boom]);
    const second = record();
    g.subscribe('payments', second);
    expect(second.errors).toEqual([boom]);
    expect(listeners).toHaveLength(1);
  });

  it('refuses bad options with CONFIG_INVALID', () => {
    const inner = staticDiscovery(['127.0.0.1:1']);
    const bad = (options: unknown) => () =>
      healthGate(inner, options as Parameters<typeof healthGate>[1]);
    expect(bad({})).toThrow(/channelFor/);
    expect(bad({ channelFor, checkService: 3 })).toThrow(/checkService/);
    expect(bad({ channelFor, backoff: { baseMs: 0 } })).toThrow(/backoff\.baseMs/);
    expect(bad({ channelFor, backoff: { baseMs: 10, maxMs: 5 } })).toThrow(/backoff\.maxMs/);
    expect(bad({ channelFor, backoff: { jitter: 'some' } })).toThrow(/backoff\.jitter/);
    expect(() => healthGate({} as Discovery, { channelFor })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });
});

describe('health message codec', () => {
  it('round-trips requests and responses, defaults left out as proto3 does', () => {
    expect(encodeHealthCheckRequest({ service: '' })).toHaveLength(0);
    expect(encodeHealthCheckResponse({ status: 0 })).toHaveLength(0);
    const name = 'pkg.Ödeme'.repeat(20); // over 127 bytes: a two-byte length
    expect(decodeHealthCheckRequest(encodeHealthCheckRequest({ service: name }))).toEqual({
      service: name,
    });
    for (const status of [0, 1, 2, 3, 300]) {
      expect(decodeHealthCheckResponse(encodeHealthCheckResponse({ status }))).toEqual({ status });
    }
    expect([...encodeHealthCheckResponse({ status: ServingStatus.NOT_SERVING })]).toEqual([8, 2]);
    expect([...encodeHealthCheckRequest({ service: 'a' })]).toEqual([10, 1, 97]);
  });

  it('skips unknown fields and reads a negative enum as the int32 it is', () => {
    // field 2 varint, field 3 bytes, field 4 fixed64, field 5 fixed32, then status = 2.
    const bytes = Buffer.from([
      0x10, 0x96, 0x01, 0x1a, 0x02, 0x61, 0x62, 0x21, 1, 2, 3, 4, 5, 6, 7, 8, 0x2d, 1, 2, 3, 4,
      0x08, 0x02,
    ]);
    expect(decodeHealthCheckResponse(bytes)).toEqual({ status: 2 });
    const minusOne = Buffer.from([
      0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
    ]);
    expect(decodeHealthCheckResponse(minusOne)).toEqual({ status: -1 });
    expect(() => decodeHealthCheckResponse(Buffer.from([0x08]))).toThrow(RangeError);
    expect(() => decodeHealthCheckRequest(Buffer.from([0x0a, 5, 1]))).toThrow(RangeError);
  });

  it('a server using the codec answers a real Check call', async () => {
    const [a] = await startBackends(true);
    a!.status = ServingStatus.NOT_SERVING;
    const client = channelFor(
      endpoint({ host: '127.0.0.1', port: Number(a!.address.split(':')[1]) }),
    );
    const response = await new Promise<HealthCheckResponse>((resolve, reject) =>
      client.makeUnaryRequest(
        HEALTH_CHECK_PATH,
        encodeHealthCheckRequest,
        decodeHealthCheckResponse,
        { service: '' },
        (err: grpc.ServiceError | null, res?: HealthCheckResponse) =>
          err ? reject(err) : resolve(res!),
      ),
    );
    expect(response).toEqual({ status: ServingStatus.NOT_SERVING });
  });
});
