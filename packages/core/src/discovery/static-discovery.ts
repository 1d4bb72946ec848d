import { DEFAULT_SCOPE, serviceEnvKey, variableName } from '../config/env.js';
import { ConfigInvalidError } from '../errors/errors.js';
import type { Disposer } from '../events/events.js';
import { EndpointBroadcast } from './broadcast.js';
import type { Discovery, DiscoveryListener } from './discovery.js';
import type { Endpoint } from './endpoint.js';
import { checkEndpoints, type EndpointSpec } from './endpoint-list.js';

export interface StaticDiscoveryOptions {
  /** Where `OUTRIGGER_<SERVICE>_ENDPOINTS` is read when no list is given; `process.env` by default. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

/** A fixed set that code can still replace, e.g. from a source of its own. */
export interface StaticDiscovery extends Discovery {
  /** Replaces the set of every service, validated like the initial list. */
  update(list: readonly EndpointSpec[]): void;
}

/**
 * Endpoints given in code (`['10.0.0.5:8080', { host, port, weight, zone, metadata }]`), the same
 * for every service name; or, with no list, read per service from `OUTRIGGER_<SERVICE>_ENDPOINTS`
 * (then `OUTRIGGER_DEFAULT_ENDPOINTS`) when that service subscribes. Bad input throws
 * `ConfigInvalidError` naming the entry or the variable, so a typo stops client creation
 * instead of turning into `NO_ENDPOINTS` at the first call.
 */
export function staticDiscovery(
  source: readonly EndpointSpec[] | StaticDiscoveryOptions = {},
): StaticDiscovery {
  if (Array.isArray(source)) return new StaticSource(checkEndpoints(source, 'discovery'), {});
  if (typeof source !== 'object' || source === null) {
    throw new ConfigInvalidError({
      setting: 'discovery',
      value: source,
      expected: 'a list of "host:port" strings or { host, port } objects, or { env }',
    });
  }
  return new StaticSource(undefined, source as StaticDiscoveryOptions);
}

class StaticSource implements StaticDiscovery {
  readonly #byService = new Map<string, EndpointBroadcast>();
  readonly #env: Readonly<Record<string, string | undefined>>;
  #list: Endpoint[] | undefined;
  #closed = false;

  constructor(list: Endpoint[] | undefined, options: StaticDiscoveryOptions) {
    this.#list = list;
    this.#env = options.env ?? process.env;
  }

  subscribe(service: string, listener: DiscoveryListener): Disposer {
    if (this.#closed) return () => {};
    let broadcast = this.#byService.get(service);
    if (!broadcast) {
      const endpoints = this.#list ?? this.#fromEnv(service);
      broadcast = new EndpointBroadcast();
      broadcast.publish(endpoints);
      this.#byService.set(service, broadcast);
    }
    return broadcast.subscribe(listener);
  }

  update(list: readonly EndpointSpec[]): void {
    const endpoints = checkEndpoints(list, 'discovery');
    if (this.#closed) return;
    this.#list = endpoints;
    for (const broadcast of this.#byService.values()) broadcast.publish(endpoints);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const broadcast of this.#byService.values()) broadcast.clear();
    this.#byService.clear();
  }

  #fromEnv(service: string): Endpoint[] {
    const own = variableName(serviceEnvKey(service), 'ENDPOINTS');
    const fallback = variableName(DEFAULT_SCOPE, 'ENDPOINTS');
    const variable = this.#env[own] !== undefined ? own : fallback;
    const raw: unknown = this.#env[variable];
    if (typeof raw !== 'string') {
      throw new ConfigInvalidError({
        setting: raw === undefined ? own : variable,
        // An env object from code can hold anything; only text is a list of host:port.
        value:
          raw === undefined
            ? 'unset'
            : typeof raw === 'object' && raw !== null
              ? '(an object)'
              : raw,
        expected: `a comma-separated list of host:port for "${service}" (or a list in code)`,
      });
    }
    const items = raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    try {
      return checkEndpoints(items, variable);
    } catch (error) {
      // Name the variable and its whole value, which is what the operator typed.
      throw new ConfigInvalidError({
        setting: variable,
        value: raw,
        expected: 'a comma-separated list of host:port (port 1 to 65535), at least one',
        hint: (error as Error).message,
      });
    }
  }
}
