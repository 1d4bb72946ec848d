import {
  type Clock,
  ConfigInvalidError,
  compileRoutes,
  type Route,
  systemClock,
} from '@outrigger/core';
import { bad, type ConsulAgentOptions, resolveAgent } from './agent-options.js';
import { acquireAgent } from './agent-registry.js';
import { BlockingLoop } from './blocking-query.js';
import { ConsulError } from './consul-error.js';
import { parseRoutesValue } from './routes-value.js';

/** What takes the routes: `HttpClient` and `GrpcClient` both have `setRoutes`. */
export interface RoutesTarget {
  setRoutes(routes: readonly Route[]): void;
}

export interface ConsulRoutesOptions extends ConsulAgentOptions {
  /** The KV key holding the routes as JSON (`config/payments/routes`). */
  key: string;
  /** The client whose routes follow the key. */
  target: RoutesTarget;
  datacenter?: string | undefined;
  namespace?: string | undefined;
  partition?: string | undefined;
  consistency?: 'default' | 'stale' | 'consistent' | undefined;
  /** Blocking wait per query. Default 60,000. */
  waitMs?: number | undefined;
  /** Shortest time between queries that come back with an unchanged index. Default 1,000. */
  minIntervalMs?: number | undefined;
  backoff?: { baseMs?: number | undefined; maxMs?: number | undefined } | undefined;
  /** A new value was applied. */
  onApplied?: ((routes: readonly Route[]) => void) | undefined;
  /** A value was refused (`CONFIG_INVALID`, the last valid routes stay) or Consul failed. Default: a process warning. */
  onError?: ((error: unknown) => void) | undefined;
  clock?: Clock | undefined;
  random?: (() => number) | undefined;
}

export interface ConsulRoutesWatch {
  /** The routes last applied from Consul; undefined before the first valid value. */
  readonly routes: readonly Route[] | undefined;
  /** Resolves after the first answer from Consul has been handled (applied, refused or absent). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

interface KvEntry {
  Key: string;
  Value: string | null;
  ModifyIndex: number;
}

/**
 * Runtime routes without a control plane: a blocking watch on one KV key whose value is the
 * client's route table as JSON (the same schema as code routes). Each new value is validated
 * and handed to `target.setRoutes()`, which swaps the table for new calls while calls in flight
 * finish where they are; a bad value is refused and reported and the last valid table stays.
 * A missing key leaves the routes as they are (the code's, or the last applied).
 */
export function watchConsulRoutes(options: ConsulRoutesOptions): ConsulRoutesWatch {
  const owner = 'watchConsulRoutes';
  if (typeof options !== 'object' || options === null) bad(owner, options, 'an options object');
  const { key, target } = options;
  if (typeof key !== 'string' || key === '' || key.startsWith('/')) {
    bad(`${owner} key`, key, 'a KV key such as "config/payments/routes" (no leading slash)');
  }
  if (typeof target?.setRoutes !== 'function') {
    bad(`${owner} target`, typeof target, 'a client with setRoutes() (HttpClient, GrpcClient)');
  }
  const ms = (name: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) {
      bad(`${owner} ${name}`, value, `an integer from ${min} to ${max} (milliseconds)`);
    }
    return value;
  };
  const waitMs = ms('waitMs', options.waitMs ?? 60_000, 1_000, 600_000);
  const minIntervalMs = ms('minIntervalMs', options.minIntervalMs ?? 1_000, 0, 600_000);
  const backoff = {
    baseMs: ms('backoff.baseMs', options.backoff?.baseMs ?? 1_000, 1, 600_000),
    maxMs: ms('backoff.maxMs', options.backoff?.maxMs ?? 30_000, 1, 3_600_000),
  };
  const consistency = options.consistency ?? 'default';
  if (!['default', 'stale', 'consistent'].includes(consistency)) {
    bad(`${owner} consistency`, consistency, "'default', 'stale' or 'consistent'");
  }
  const agent = resolveAgent(options, owner);
  const report =
    options.onError ??
    ((error: unknown) =>
      process.emitWarning(
        `Consul routes: ${error instanceof Error ? error.message : String(error)}`,
        {
          code: 'OUTRIGGER_CONSUL_ROUTES',
        },
      ));
  const { http, release } = acquireAgent(agent);
  const path = `/v1/kv/${key.split('/').map(encodeURIComponent).join('/')}`;
  let applied: readonly Route[] | undefined;
  let lastSeen: string | null | undefined;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const handle = (value: string | null | undefined) => {
    // A blocking query that timed out, or a write of the same value, is not a change.
    if (value === lastSeen) return;
    lastSeen = value;
    if (value === undefined || value === null) return;
    let routes: Route[];
    try {
      routes = parseRoutesValue(value);
      compileRoutes(routes);
      target.setRoutes(routes);
    } catch (error) {
      report(
        new ConfigInvalidError({
          setting: `Consul KV ${key}`,
          value: `<${Buffer.byteLength(value)} bytes>`,
          expected: 'a JSON route table ([{ name, match, split }] or { "routes": [...] })',
          hint: `${error instanceof Error ? error.message : String(error)}; the last valid routes stay in force`,
        }),
      );
      return;
    }
    applied = routes;
    options.onApplied?.(routes);
  };

  const loop = new BlockingLoop<string | null | undefined>({
    query: async (index, wait, signal) => {
      const blocking = index > 0;
      const res = await http.request(
        {
          method: 'GET',
          path,
          query: {
            dc: options.datacenter,
            ns: options.namespace,
            partition: options.partition,
            stale: consistency === 'stale' ? true : undefined,
            consistent: consistency === 'consistent' ? true : undefined,
            index: blocking ? String(index) : undefined,
            wait: blocking ? `${wait}ms` : undefined,
          },
          waitMs: blocking ? wait : undefined,
          signal,
        },
        [404],
      );
      return {
        index: res.index,
        value: res.status === 404 ? undefined : decodeKv(res.text, path, agent.display),
      };
    },
    onValue: (value) => {
      handle(value);
      markReady();
    },
    onError: (error) => {
      report(
        new Error(
          `Consul routes watch on "${key}" at ${agent.display} failed: ${(error as Error).message}; retrying`,
          {
            cause: error,
          },
        ),
      );
      markReady();
    },
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
    waitMs,
    minIntervalMs,
    backoff,
  });
  loop.start();
  let closing: Promise<void> | undefined;
  return {
    get routes() {
      return applied;
    },
    ready,
    close: () => {
      closing ??= (async () => {
        loop.stop();
        markReady();
        await release();
      })();
      return closing;
    },
  };
}

function decodeKv(text: string, path: string, display: string): string | null {
  let entries: unknown;
  try {
    entries = JSON.parse(text);
  } catch (error) {
    throw new ConsulError(
      'malformed',
      `Consul GET ${path} at ${display} sent a body that is not JSON (${(error as Error).message})`,
    );
  }
  const entry = Array.isArray(entries) ? (entries[0] as Partial<KvEntry> | undefined) : undefined;
  if (
    !entry ||
    typeof entry.Key !== 'string' ||
    (entry.Value !== null && typeof entry.Value !== 'string')
  ) {
    throw new ConsulError(
      'malformed',
      `Consul GET ${path} at ${display} sent no KV entry ([{ Key, Value }])`,
    );
  }
  return entry.Value === null || entry.Value === undefined
    ? null
    : Buffer.from(entry.Value, 'base64').toString('utf8');
}
