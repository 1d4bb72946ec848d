import { ConfigInvalidError } from '../errors/errors.js';
import type { Disposer } from '../events/events.js';
import { type Clock, systemClock, type TimerHandle } from '../time/clock.js';
import { EndpointBroadcast } from './broadcast.js';
import type { Discovery, DiscoveryListener } from './discovery.js';
import { type AddressFamily, type DnsAnswer, resolveHost, resolveService } from './dns-query.js';
import { type DnsResolver, systemResolver } from './dns-resolver.js';

export interface DnsDiscoveryOptions {
  /** The name to resolve; the subscribed service name when omitted (`payments.internal`). */
  hostname?: string | undefined;
  /** Port of every A/AAAA address; required unless `srv` (SRV records carry their own). */
  port?: number | undefined;
  /** Resolve SRV records (`_http._tcp.payments.example`) instead of A/AAAA. Default false. */
  srv?: boolean | undefined;
  /** Re-resolution when the answer has no TTL, and the longest a TTL is trusted. Default 30,000. */
  intervalMs?: number | undefined;
  /** Shortest time between two resolutions (a TTL of 0, the first retry). Default 1,000. */
  minIntervalMs?: number | undefined;
  /** Address family. Default 'any' (A and AAAA). */
  family?: AddressFamily | undefined;
  /** `node:dns/promises` shape; a private c-ares Resolver plus getaddrinfo by default. */
  resolver?: DnsResolver | undefined;
  clock?: Clock | undefined;
}

interface Watch {
  readonly service: string;
  readonly broadcast: EndpointBroadcast;
  timer: TimerHandle | undefined;
  failures: number;
  stopped: boolean;
}

/**
 * Endpoints from DNS: A/AAAA (with `port`) or SRV, re-resolved when the shortest TTL runs out
 * (clamped to [minIntervalMs, intervalMs]) or every `intervalMs` when the answer has none. A
 * failed or empty answer keeps the last good set, is reported to subscribers, and is retried
 * sooner, doubling from `minIntervalMs`. One resolution loop per service name, started by its
 * first subscriber and stopped by its last; timers are unref'd and cleared on `close()`.
 */
export function dnsDiscovery(options: DnsDiscoveryOptions = {}): Discovery {
  return new DnsSource(checkOptions(options));
}

interface Checked {
  readonly hostname: string | undefined;
  readonly port: number;
  readonly srv: boolean;
  readonly intervalMs: number;
  readonly minIntervalMs: number;
  readonly family: AddressFamily;
  readonly resolver: DnsResolver;
  readonly clock: Clock;
}

class DnsSource implements Discovery {
  readonly #options: Checked;
  readonly #watches = new Map<string, Watch>();
  #closed = false;

  constructor(options: Checked) {
    this.#options = options;
  }

  subscribe(service: string, listener: DiscoveryListener): Disposer {
    if (this.#closed) return () => {};
    let watch = this.#watches.get(service);
    if (!watch) {
      watch = {
        service,
        broadcast: new EndpointBroadcast(),
        timer: undefined,
        failures: 0,
        stopped: false,
      };
      this.#watches.set(service, watch);
      void this.#resolve(watch);
    }
    const unsubscribe = watch.broadcast.subscribe(listener);
    const current = watch;
    return () => {
      unsubscribe();
      if (current.broadcast.size === 0 && !current.stopped) this.#stop(current);
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const watch of [...this.#watches.values()]) this.#stop(watch);
    this.#options.resolver.cancel?.();
  }

  async #resolve(watch: Watch): Promise<void> {
    watch.timer = undefined;
    const { srv, family, resolver, intervalMs, minIntervalMs } = this.#options;
    const hostname = this.#options.hostname ?? watch.service;
    let answer: DnsAnswer;
    try {
      answer = srv
        ? await resolveService(resolver, hostname, family)
        : await resolveHost(resolver, hostname, this.#options.port, family);
      if (answer.endpoints.length === 0) throw new Error('the answer has no addresses');
    } catch (error) {
      if (watch.stopped) return;
      watch.failures++;
      const what = srv ? 'SRV' : family === 'any' ? 'A/AAAA' : family === 4 ? 'A' : 'AAAA';
      // Why, in the message itself: it ends up in a NO_ENDPOINTS a caller reads.
      const why = error instanceof Error ? error.message : String(error);
      const kept = watch.broadcast.endpoints ? '; keeping the last good set' : '';
      watch.broadcast.fail(
        new Error(
          `DNS discovery of "${watch.service}" (${what} ${hostname}) failed: ${why}${kept}`,
          {
            cause: error,
          },
        ),
      );
      this.#schedule(watch, Math.min(intervalMs, minIntervalMs * 2 ** (watch.failures - 1)));
      return;
    }
    if (watch.stopped) return;
    watch.failures = 0;
    watch.broadcast.publish(answer.endpoints);
    const ttl = answer.ttlMs ?? intervalMs;
    this.#schedule(watch, Math.min(intervalMs, Math.max(minIntervalMs, ttl)));
  }

  #schedule(watch: Watch, ms: number): void {
    const timer = this.#options.clock.setTimeout(() => void this.#resolve(watch), ms);
    (timer as { unref?(): unknown }).unref?.();
    watch.timer = timer;
  }

  #stop(watch: Watch): void {
    watch.stopped = true;
    if (watch.timer !== undefined) this.#options.clock.clearTimeout(watch.timer);
    watch.timer = undefined;
    watch.broadcast.clear();
    if (this.#watches.get(watch.service) === watch) this.#watches.delete(watch.service);
  }
}

function checkOptions(options: DnsDiscoveryOptions): Checked {
  const bad = (name: string, value: unknown, expected: string): never => {
    throw new ConfigInvalidError({ setting: `dnsDiscovery ${name}`, value, expected });
  };
  if (typeof options !== 'object' || options === null) bad('options', options, 'an options object');
  const { hostname, port, srv = false, intervalMs = 30_000, minIntervalMs = 1_000 } = options;
  const family = options.family ?? 'any';
  if (
    hostname !== undefined &&
    (typeof hostname !== 'string' || !/^[A-Za-z0-9._:-]+$/.test(hostname))
  ) {
    bad('hostname', hostname, 'a DNS name such as "payments.internal"');
  }
  if (typeof srv !== 'boolean') bad('srv', srv, 'true or false');
  if (!srv && (!Number.isInteger(port) || port! < 1 || port! > 65_535)) {
    bad(
      'port',
      port,
      'an integer from 1 to 65535 (A/AAAA records carry no port; or set srv: true)',
    );
  }
  if (!Number.isInteger(intervalMs) || intervalMs < 1 || intervalMs > 86_400_000) {
    bad('intervalMs', intervalMs, 'an integer from 1 to 86400000 (milliseconds)');
  }
  if (!Number.isInteger(minIntervalMs) || minIntervalMs < 1 || minIntervalMs > intervalMs) {
    bad('minIntervalMs', minIntervalMs, `an integer from 1 to intervalMs (${intervalMs})`);
  }
  if (family !== 4 && family !== 6 && family !== 'any') bad('family', family, "4, 6 or 'any'");
  const resolver = options.resolver ?? systemResolver();
  for (const method of srv ? ['resolveSrv', 'resolve4', 'resolve6'] : ['resolve4', 'resolve6']) {
    if (typeof (resolver as unknown as Record<string, unknown>)[method] !== 'function') {
      bad(
        `resolver.${method}`,
        typeof (resolver as unknown as Record<string, unknown>)[method],
        'a function (the node:dns/promises shape)',
      );
    }
  }
  return {
    hostname,
    port: port ?? 0,
    srv,
    intervalMs,
    minIntervalMs,
    family,
    resolver,
    clock: options.clock ?? systemClock,
  };
}
