/**
 * Active health checking (gRFC A17) as a Discovery wrapper: one `grpc.health.v1.Health/Watch`
 * stream per endpoint, and the endpoint set with those that report themselves unhealthy held
 * back. (A little over 200 lines: the protobuf codec of the two health messages lives here,
 * since proto-loader is not a runtime dependency and nothing else needs it.)
 */
import { type Client, type ClientReadableStream, Metadata, type StatusObject } from '@grpc/grpc-js';
import {
  type Backoff,
  backoffDelay,
  type Clock,
  ConfigInvalidError,
  type Discovery,
  type DiscoveryListener,
  type Disposer,
  type Endpoint,
  EndpointBroadcast,
  systemClock,
  type TimerHandle,
} from '@outrigger/core';
import { GrpcStatus } from './status.js';

export const HEALTH_WATCH_PATH = '/grpc.health.v1.Health/Watch';
export const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';

/** `grpc.health.v1.HealthCheckResponse.ServingStatus`. */
export const ServingStatus = {
  UNKNOWN: 0,
  SERVING: 1,
  NOT_SERVING: 2,
  SERVICE_UNKNOWN: 3,
} as const;

export interface HealthCheckRequest {
  /** The service asked about; `''` for the whole server. */
  readonly service: string;
}

export interface HealthCheckResponse {
  /** A `ServingStatus` (or a value this version does not know). */
  readonly status: number;
}

export interface HealthGateOptions {
  /** The service name sent in `HealthCheckRequest`. Default `''`: the whole server. */
  checkService?: string | undefined;
  /** An open grpc-js client for the endpoint, owned by the caller (never closed here). */
  channelFor(endpoint: Endpoint): Client;
  /**
   * Between failed watches of one endpoint. Default 1 s doubling to 120 s, full jitter (gRPC's
   * connection backoff, which A17 uses). A watch that got a message is re-opened at once.
   */
  backoff?: Partial<Backoff> | undefined;
  clock?: Clock | undefined;
  random?: (() => number) | undefined;
}

interface GateSettings {
  readonly request: HealthCheckRequest;
  readonly channelFor: (endpoint: Endpoint) => Client;
  readonly backoff: Backoff;
  readonly clock: Clock;
  readonly random: () => number;
}

/**
 * Wraps `inner` so that its subscribers get its endpoint set minus the endpoints whose last
 * health report is NOT_SERVING or SERVICE_UNKNOWN. An endpoint that has not answered yet, or
 * answers UNKNOWN, counts as serving (A17 would hold it back until its first SERVING; we let
 * it take calls, as before health checks were on, and leave failures to the outlier detector).
 * A server without the health service (UNIMPLEMENTED) counts as serving and is not watched
 * again (A17). Any other end of a watch re-opens it, at once if it had delivered a message,
 * else after a backoff with jitter, keeping the endpoint's last state meanwhile. Errors of
 * `inner` pass through; `close()` stops every watch and timer, then closes `inner`.
 */
export function healthGate(inner: Discovery, options: HealthGateOptions): Discovery {
  if (
    inner === null ||
    typeof inner !== 'object' ||
    typeof inner.subscribe !== 'function' ||
    typeof inner.close !== 'function'
  ) {
    fail('inner', String(inner), 'a Discovery (subscribe and close)');
  }
  return new HealthGate(inner, checkOptions(options));
}

class HealthGate implements Discovery {
  readonly #inner: Discovery;
  readonly #settings: GateSettings;
  readonly #gates = new Map<string, ServiceGate>();
  #closing: Promise<void> | undefined;

  constructor(inner: Discovery, settings: GateSettings) {
    this.#inner = inner;
    this.#settings = settings;
  }

  subscribe(service: string, listener: DiscoveryListener): Disposer {
    if (this.#closing) return () => {};
    let gate = this.#gates.get(service);
    if (gate === undefined) {
      gate = new ServiceGate(this.#settings);
      this.#gates.set(service, gate);
      try {
        gate.start(this.#inner, service);
      } catch (error) {
        // The inner source refused the service (a bad OUTRIGGER_<SERVICE>_ENDPOINTS): no gate.
        this.#gates.delete(service);
        gate.stop();
        throw error;
      }
    }
    const owner = gate;
    const unsubscribe = owner.broadcast.subscribe(listener);
    return () => {
      unsubscribe();
      // The last subscriber gone: the watches go too, until someone subscribes again.
      if (owner.broadcast.size === 0 && this.#gates.get(service) === owner) {
        this.#gates.delete(service);
        owner.stop();
      }
    };
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const gate of this.#gates.values()) gate.stop();
      this.#gates.clear();
      await this.#inner.close();
    })();
    return this.#closing;
  }
}

/** One service name's subscription to the inner discovery, and one watch per endpoint. */
class ServiceGate implements DiscoveryListener {
  readonly broadcast = new EndpointBroadcast();
  readonly #settings: GateSettings;
  readonly #watches = new Map<string, EndpointWatch>();
  #endpoints: readonly Endpoint[] | undefined;
  #unsubscribe: Disposer | undefined;
  #stopped = false;

  constructor(settings: GateSettings) {
    this.#settings = settings;
  }

  start(inner: Discovery, service: string): void {
    this.#unsubscribe = inner.subscribe(service, this);
    if (this.#stopped) this.#unsubscribe();
  }

  onEndpoints(endpoints: readonly Endpoint[]): void {
    if (this.#stopped) return;
    this.#endpoints = endpoints;
    const present = new Set<string>();
    for (const endpoint of endpoints) {
      present.add(endpoint.id);
      const watch = this.#watches.get(endpoint.id);
      if (watch && watch.endpoint.host === endpoint.host && watch.endpoint.port === endpoint.port)
        continue;
      watch?.stop();
      const fresh = new EndpointWatch(endpoint, this.#settings, this);
      this.#watches.set(endpoint.id, fresh);
      fresh.open();
    }
    for (const [id, watch] of this.#watches) {
      if (present.has(id)) continue;
      watch.stop();
      this.#watches.delete(id);
    }
    this.update();
  }

  onError(error: unknown): void {
    if (!this.#stopped) this.broadcast.fail(error);
  }

  /** Publishes the serving set (the broadcast tells nobody when it did not change). */
  update(): void {
    const endpoints = this.#endpoints;
    if (endpoints === undefined || this.#stopped) return;
    const serving = endpoints.filter((e) => this.#watches.get(e.id)?.held !== true);
    // Panic mode, as Envoy's panic threshold at its limit: when every endpoint reports itself
    // unhealthy, holding them all back would turn a fleet-wide health blip into NO_ENDPOINTS
    // for every call. The whole set goes out and the breaker, retries and outlier detection
    // judge what the endpoints really do.
    this.broadcast.publish(serving.length === 0 ? endpoints : serving);
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#unsubscribe?.();
    for (const watch of this.#watches.values()) watch.stop();
    this.#watches.clear();
    this.broadcast.clear();
  }
}

/** One endpoint's Watch stream, re-opened until stopped. */
class EndpointWatch {
  readonly endpoint: Endpoint;
  /** The last report holds the endpoint back (NOT_SERVING, SERVICE_UNKNOWN). */
  held = false;
  readonly #settings: GateSettings;
  readonly #gate: ServiceGate;
  #call: ClientReadableStream<HealthCheckResponse> | undefined;
  #timer: TimerHandle | undefined;
  /** Watches in a row that ended without a message: the exponent of the next backoff. */
  #failures = 0;
  #previousDelay: number;
  #stopped = false;

  constructor(endpoint: Endpoint, settings: GateSettings, gate: ServiceGate) {
    this.endpoint = endpoint;
    this.#settings = settings;
    this.#gate = gate;
    this.#previousDelay = settings.backoff.baseMs;
  }

  open(): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    let call: ClientReadableStream<HealthCheckResponse>;
    try {
      call = this.#settings
        .channelFor(this.endpoint)
        .makeServerStreamRequest(
          HEALTH_WATCH_PATH,
          encodeHealthCheckRequest,
          decodeHealthCheckResponse,
          this.#settings.request,
          new Metadata(),
          {},
        );
    } catch {
      // No channel to watch on now (its owner is closing it): try again later.
      this.#retry(false);
      return;
    }
    this.#call = call;
    let answered = false;
    call.on('data', (response: HealthCheckResponse) => {
      if (this.#call !== call) return;
      answered = true;
      this.#report(response.status);
    });
    // Every end comes again as the status; this listener only keeps the stream from throwing.
    call.on('error', ignore);
    call.on('status', (status: StatusObject) => {
      if (this.#call !== call) return;
      this.#call = undefined;
      if (status.code === GrpcStatus.UNIMPLEMENTED) {
        // No health service on this server: health checking is off for it (A17).
        this.#report(ServingStatus.SERVING);
        return;
      }
      this.#retry(answered);
    });
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#settings.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const call = this.#call;
    this.#call = undefined;
    call?.cancel();
  }

  #report(status: number): void {
    const held = status === ServingStatus.NOT_SERVING || status === ServingStatus.SERVICE_UNKNOWN;
    if (held === this.held) return;
    this.held = held;
    this.#gate.update();
  }

  /** A17: a watch that delivered a message resets the backoff and is re-opened at once. */
  #retry(answered: boolean): void {
    if (this.#stopped) return;
    if (answered) {
      this.#failures = 0;
      this.#previousDelay = this.#settings.backoff.baseMs;
      this.open();
      return;
    }
    const { backoff, random, clock } = this.#settings;
    const delay = backoffDelay(backoff, ++this.#failures, this.#previousDelay, random);
    this.#previousDelay = delay;
    const timer = clock.setTimeout(() => this.open(), delay);
    (timer as { unref?(): unknown }).unref?.();
    this.#timer = timer;
  }
}

function ignore(): void {}

function fail(option: string, value: unknown, expected: string): never {
  throw new ConfigInvalidError({ setting: `healthGate: option ${option}`, value, expected });
}

const JITTERS: readonly string[] = ['full', 'decorrelated', 'none'];

function checkOptions(options: HealthGateOptions): GateSettings {
  if (options === null || typeof options !== 'object') {
    fail('options', String(options), 'an object with channelFor(endpoint)');
  }
  const { checkService = '', channelFor, backoff = {}, clock = systemClock } = options;
  if (typeof channelFor !== 'function') {
    fail('channelFor', String(channelFor), 'a function (endpoint) => grpc-js Client');
  }
  if (typeof checkService !== 'string') {
    fail('checkService', String(checkService), "a service name, or '' for the whole server");
  }
  const baseMs = backoff.baseMs ?? 1_000;
  const maxMs = backoff.maxMs ?? Math.max(120_000, baseMs);
  const jitter = backoff.jitter ?? 'full';
  if (!(Number.isFinite(baseMs) && baseMs > 0)) {
    fail('backoff.baseMs', baseMs, 'a finite number of milliseconds above 0');
  }
  if (!(Number.isFinite(maxMs) && maxMs >= baseMs)) {
    fail('backoff.maxMs', maxMs, `a finite number of milliseconds, at least baseMs (${baseMs})`);
  }
  if (!JITTERS.includes(jitter)) fail('backoff.jitter', jitter, JITTERS.join(', '));
  return {
    request: { service: checkService },
    channelFor,
    backoff: { baseMs, maxMs, jitter },
    clock,
    random: options.random ?? Math.random,
  };
}

// The two health messages, hand-written (protobuf wire format: a key is `field << 3 | type`;
// type 0 is a varint, 2 a length-prefixed run of bytes). Proto3 leaves default values out.

export function encodeHealthCheckRequest(request: HealthCheckRequest): Buffer {
  const service = Buffer.from(request.service ?? '', 'utf8');
  if (service.length === 0) return Buffer.alloc(0);
  return Buffer.concat([Buffer.from([0x0a, ...varint(service.length)]), service]);
}

export function encodeHealthCheckResponse(response: HealthCheckResponse): Buffer {
  const status = response.status;
  if (!(Number.isInteger(status) && status >= 0 && status <= 0x7fffffff)) {
    throw new RangeError(`HealthCheckResponse.status must be a ServingStatus, got ${status}`);
  }
  return status === 0 ? Buffer.alloc(0) : Buffer.from([0x08, ...varint(status)]);
}

export function decodeHealthCheckRequest(bytes: Buffer): HealthCheckRequest {
  let service = '';
  readFields(bytes, (field, type, reader) => {
    if (field !== 1 || type !== 2) return false;
    const length = reader.varint();
    service = bytes.toString('utf8', reader.take(length), reader.pos);
    return true;
  });
  return { service };
}

export function decodeHealthCheckResponse(bytes: Buffer): HealthCheckResponse {
  let status = 0;
  readFields(bytes, (field, type, reader) => {
    if (field !== 1 || type !== 0) return false;
    status = reader.varint() | 0; // an enum is an int32: its low 32 bits
    return true;
  });
  return { status };
}

function varint(value: number): number[] {
  const bytes: number[] = [];
  while (value > 0x7f) {
    bytes.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  bytes.push(value);
  return bytes;
}

class Reader {
  readonly #bytes: Buffer;
  pos = 0;

  constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }

  get done(): boolean {
    return this.pos >= this.#bytes.length;
  }

  /** The low 32 bits of a varint of up to 10 bytes, unsigned. */
  varint(): number {
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      const byte = this.#bytes[this.pos++];
      if (byte === undefined) throw new RangeError('truncated protobuf varint');
      if (shift < 32) value |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value >>> 0;
    }
    throw new RangeError('protobuf varint longer than 10 bytes');
  }

  /** Skips `length` bytes and returns where they started. */
  take(length: number): number {
    const start = this.pos;
    if (start + length > this.#bytes.length) throw new RangeError('truncated protobuf field');
    this.pos = start + length;
    return start;
  }
}

/** Calls `read` for each field; a field it does not take is skipped by its wire type. */
function readFields(
  bytes: Buffer,
  read: (field: number, type: number, reader: Reader) => boolean,
): void {
  const reader = new Reader(bytes);
  while (!reader.done) {
    const key = reader.varint();
    const field = key >>> 3;
    const type = key & 7;
    if (read(field, type, reader)) continue;
    if (type === 0) reader.varint();
    else if (type === 1) reader.take(8);
    else if (type === 2) reader.take(reader.varint());
    else if (type === 5) reader.take(4);
    else throw new RangeError(`unsupported protobuf wire type ${type} (field ${field})`);
  }
}
