import { type Endpoint, type EventBus, reloadedEvent, TlsFileSource } from '@outrigger/core';
import { buildConnector, Client, type Dispatcher, Pool } from 'undici';
import type { HttpAttempt } from './attempt.js';
import type { TransportSettings } from './options.js';
import { PoolEntry } from './pool-entry.js';
import { tlsFilesOf, tlsReloadMs } from './tls-options.js';

/** Sends one attempt to one endpoint; the client uses pools, the interceptor the dispatch it wraps. */
export interface EndpointDispatcher {
  dispatch(endpoint: Endpoint, options: Dispatcher.DispatchOptions, attempt: HttpAttempt): void;
}

/** `http://10.0.0.5:8080`, `https://[::1]:8443`. */
export function originOf(endpoint: Endpoint, secure: boolean): string {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `${secure ? 'https' : 'http'}://${host}:${endpoint.port}`;
}

/**
 * One undici Pool per endpoint, created on the first attempt to it and closed when discovery
 * drops the endpoint, once the attempts still running on it (bodies included) are over. An
 * attempt that races with the removal (the balancer picked from the previous set) still gets
 * a pool, which is closed as soon as that attempt is done, so nothing leaks either way.
 */
export class EndpointPools implements EndpointDispatcher {
  #settings: TransportSettings;
  readonly #entries = new Map<string, PoolEntry>();
  /** Endpoint ids discovery lists now; undefined until it first reports (then all are live). */
  #live: Set<string> | undefined;
  readonly #closing = new Set<Promise<void>>();
  #closed = false;
  /** `tls` from files: the source re-reads them; the connector opens sockets with its context. */
  #tlsSource: TlsFileSource | undefined;
  #connector: buildConnector.connector | undefined;

  constructor(settings: TransportSettings) {
    this.#settings = settings;
  }

  /**
   * Final settings, once the chain has resolved the deadline they derive from; starts reading
   * `tls` files, reporting reloads and refusals on `events`.
   */
  configure(settings: TransportSettings, events?: EventBus): void {
    this.#settings = settings;
    const tls = tlsFilesOf(settings.tls);
    if (tls === undefined || this.#tlsSource !== undefined) return;
    const service = settings.service;
    this.#tlsSource = new TlsFileSource({
      files: tls,
      intervalMs: tlsReloadMs(tls),
      onReloaded: (material) => {
        this.#connector = undefined;
        events?.emit('tls.reloaded', reloadedEvent(service, material, false));
      },
      onRejected: (reason) => events?.emit('tls.rejected', { service, reason }),
    });
    events?.emit('tls.reloaded', reloadedEvent(service, this.#tlsSource.current, true));
    this.#tlsSource.start();
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * Over every endpoint: attempts aborted before `onConnect` that undici still holds, attempts
   * waiting for their connections, requests undici has queued or running, and the times a
   * waiting attempt's stall guard had to release it (for tests).
   */
  get pending(): { held: number; waiting: number; undici: number; stalls: number } {
    let held = 0;
    let waiting = 0;
    let undici = 0;
    let stalls = 0;
    for (const entry of this.#entries.values()) {
      held += entry.held;
      waiting += entry.waiting;
      undici += entry.pool.stats.size;
      stalls += entry.stalls;
    }
    return { held, waiting, undici, stalls };
  }

  dispatch(endpoint: Endpoint, options: Dispatcher.DispatchOptions, attempt: HttpAttempt): void {
    let entry = this.#entries.get(endpoint.id);
    if (!entry) {
      entry = new PoolEntry(this, endpoint.id, this.#settings.pipelining === 1, (drained) =>
        this.#createPool(endpoint, drained),
      );
      entry.retired = this.#closed || (this.#live !== undefined && !this.#live.has(endpoint.id));
      this.#entries.set(endpoint.id, entry);
    }
    entry.dispatch(options, attempt);
  }

  /** Discovery delivered a new whole set. */
  onEndpoints(endpoints: readonly Endpoint[]): void {
    const live = new Set<string>();
    for (const e of endpoints) live.add(e.id);
    this.#live = live;
    for (const entry of this.#entries.values()) {
      entry.retired = !live.has(entry.id);
      if (entry.retired && entry.inFlight === 0) this.release(entry);
    }
  }

  release(entry: PoolEntry): void {
    if (this.#entries.get(entry.id) !== entry) return;
    this.#entries.delete(entry.id);
    entry.stop();
    const closing = entry.pool.close().catch(() => {});
    this.#closing.add(closing);
    closing.finally(() => this.#closing.delete(closing));
  }

  /** Waits for the attempts still running (undici's graceful close), then frees every socket. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const entry of [...this.#entries.values()]) {
      entry.retired = true;
      this.release(entry);
    }
    this.#tlsSource?.close();
    await Promise.all(this.#closing);
  }

  /**
   * Opens a socket with the files' current context. Pools keep this function, not a context, so
   * after a reload every pool's next connection presents the new pair while the sockets already
   * open carry on untouched (no call is dropped). A new connector per reload also starts a new
   * TLS session cache: a session resumed from the old one would carry the old identity.
   */
  readonly #connectWithFiles: buildConnector.connector = (options, callback) => {
    if (this.#connector === undefined) {
      const s = this.#settings;
      this.#connector = buildConnector({
        timeout: s.connectTimeoutMs,
        secureContext: this.#tlsSource!.current.secureContext,
        ...(s.tls?.servername !== undefined && { servername: s.tls.servername }),
        rejectUnauthorized: s.tls?.rejectUnauthorized !== false,
      });
    }
    this.#connector(options, callback);
  };

  /** The endpoint's pool; `drained` listens to each of its connections' `drain`. */
  #createPool(endpoint: Endpoint, drained: (() => void) | undefined): Pool {
    const s = this.#settings;
    const tls = s.tls;
    return new Pool(originOf(endpoint, tls !== undefined), {
      ...(drained && {
        factory: (origin: URL, options: Client.Options) => {
          const client = new Client(origin, options);
          // After the pool's own listener, which it adds once this returns: by then the pool
          // counts the connection free again, so the attempt `drained` sends goes out on it.
          queueMicrotask(() => client.on('drain', drained));
          return client;
        },
      }),
      connections: s.connections ?? null,
      pipelining: s.pipelining,
      keepAliveTimeout: s.keepAliveTimeoutMs,
      connect: this.#tlsSource
        ? this.#connectWithFiles
        : {
            timeout: s.connectTimeoutMs,
            ...(tls && {
              ca: tls.ca,
              cert: tls.cert,
              key: tls.key,
              servername: tls.servername,
              rejectUnauthorized: tls.rejectUnauthorized !== false,
            }),
          },
    });
  }
}
