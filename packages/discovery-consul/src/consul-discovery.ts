import {
  type Discovery,
  type DiscoveryListener,
  type Disposer,
  type Endpoint,
  EndpointBroadcast,
} from '@outrigger/core';
import { acquireAgent } from './agent-registry.js';
import { BlockingLoop } from './blocking-query.js';
import { ConsulError } from './consul-error.js';
import type { ConsulHttp } from './consul-http.js';
import {
  type CheckedDiscovery,
  type ConsulDiscoveryOptions,
  checkDiscoveryOptions,
} from './discovery-options.js';
import { EmptyGrace } from './empty-grace.js';
import { endpointsFromHealth, parseHealthBody } from './health-entries.js';

interface SharedWatch {
  readonly key: string;
  readonly broadcast: EndpointBroadcast;
  readonly loop: BlockingLoop<Endpoint[]>;
  readonly release: () => Promise<void>;
  readonly grace: EmptyGrace;
}

/**
 * Every health watch in the process, by agent and query: two clients (or two Discoveries) that
 * need the same Consul service with the same filter share one blocking query.
 */
const watches = new Map<string, SharedWatch>();

/**
 * Endpoints from Consul's health API as a live watch (blocking queries on
 * `/v1/health/service/<name>`): passing instances by default, with the documented index rules,
 * the last good set kept through failures (reported to subscribers, retried with jittered
 * back-off), and an empty answer delivered only once it has lasted `emptyGraceMs`. One watch
 * per (agent, service, query) in the process, started by its first subscriber and closed by its
 * last. Throws `CONFIG_INVALID` for a bad option.
 */
export function consulDiscovery(options: ConsulDiscoveryOptions = {}): Discovery {
  return new ConsulSource(checkDiscoveryOptions(options));
}

class ConsulSource implements Discovery {
  readonly #o: CheckedDiscovery;
  readonly #subscriptions = new Set<() => Promise<void>>();
  #closed = false;

  constructor(options: CheckedDiscovery) {
    this.#o = options;
  }

  subscribe(service: string, listener: DiscoveryListener): Disposer {
    if (this.#closed) return () => {};
    const name = this.#o.serviceName ?? service;
    const key = watchKey(this.#o, name);
    const watch = watches.get(key) ?? startWatch(key, service, name, this.#o);
    const unsubscribe = watch.broadcast.subscribe(listener);
    let done: Promise<void> | undefined;
    const dispose = () => {
      done ??= (() => {
        this.#subscriptions.delete(dispose);
        unsubscribe();
        return watch.broadcast.size === 0 ? stopWatch(watch) : Promise.resolve();
      })();
      return done;
    };
    this.#subscriptions.add(dispose);
    return () => void dispose();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#subscriptions].map((dispose) => dispose()));
  }
}

function watchKey(o: CheckedDiscovery, name: string): string {
  return JSON.stringify([
    o.agent.key,
    name,
    o.tags,
    o.filter,
    o.datacenter,
    o.namespace,
    o.partition,
    o.consistency,
    o.cached,
    o.includeWarning,
    o.taggedAddress,
    o.zoneMetaKey,
  ]);
}

function startWatch(key: string, service: string, name: string, o: CheckedDiscovery): SharedWatch {
  const { http, release } = acquireAgent(o.agent);
  const broadcast = new EndpointBroadcast();
  const watch: SharedWatch = {
    key,
    broadcast,
    release,
    grace: new EmptyGrace(broadcast, o.clock, o.emptyGraceMs),
    loop: new BlockingLoop<Endpoint[]>({
      query: (index, waitMs, signal) => queryHealth(http, name, o, index, waitMs, signal),
      onValue: (endpoints) => watch.grace.offer(endpoints),
      onError: (error) => {
        const why = error instanceof Error ? error.message : String(error);
        const kept = broadcast.endpoints ? '; keeping the last good set' : '';
        broadcast.fail(
          new Error(
            `Consul discovery of "${service}" (service "${name}" at ${o.agent.display}) failed: ${why}${kept}; retrying`,
            { cause: error },
          ),
        );
      },
      clock: o.clock,
      random: o.random,
      waitMs: o.waitMs,
      minIntervalMs: o.minIntervalMs,
      backoff: o.backoff,
    }),
  };
  watches.set(key, watch);
  watch.loop.start();
  return watch;
}

async function stopWatch(watch: SharedWatch): Promise<void> {
  if (watches.get(watch.key) !== watch) return;
  watches.delete(watch.key);
  watch.loop.stop();
  watch.grace.stop();
  watch.broadcast.clear();
  await watch.release();
}

async function queryHealth(
  http: ConsulHttp,
  name: string,
  o: CheckedDiscovery,
  index: number,
  waitMs: number,
  signal: AbortSignal,
): Promise<{ index: number; value: Endpoint[] }> {
  const blocking = index > 0;
  const path = `/v1/health/service/${encodeURIComponent(name)}`;
  const res = await http.request({
    method: 'GET',
    path,
    query: {
      // Passing-only is filtered by Consul; with warnings we filter critical ones out ourselves.
      passing: o.includeWarning ? undefined : 'true',
      tag: o.tags,
      filter: o.filter,
      dc: o.datacenter,
      ns: o.namespace,
      partition: o.partition,
      stale: o.consistency === 'stale' ? true : undefined,
      consistent: o.consistency === 'consistent' ? true : undefined,
      cached: o.cached ? true : undefined,
      index: blocking ? String(index) : undefined,
      wait: blocking ? `${waitMs}ms` : undefined,
    },
    waitMs: blocking ? waitMs : undefined,
    signal,
  });
  let entries: ReturnType<typeof parseHealthBody>;
  try {
    entries = parseHealthBody(res.text);
  } catch (error) {
    throw new ConsulError(
      'malformed',
      `Consul GET ${path} at ${o.agent.display} sent a malformed body: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return {
    index: res.index,
    value: endpointsFromHealth(entries, {
      includeWarning: o.includeWarning,
      taggedAddress: o.taggedAddress,
      zoneMetaKey: o.zoneMetaKey,
    }),
  };
}

/** For tests: how many shared health watches are running. */
export function openWatches(): number {
  return watches.size;
}
