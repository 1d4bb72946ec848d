import { type Clock, systemClock } from '@outrigger/core';
import { bad, type ConsulAgentOptions, type ResolvedAgent, resolveAgent } from './agent-options.js';

export interface ConsulDiscoveryOptions extends ConsulAgentOptions {
  /** The Consul service name; the subscribed service name when omitted. */
  serviceName?: string | undefined;
  /** Only instances with every one of these tags (Consul's repeatable `tag`). */
  tags?: readonly string[] | undefined;
  /** A Consul filter expression (`Service.Meta.version != "v0"`), applied by Consul. */
  filter?: string | undefined;
  datacenter?: string | undefined;
  /** Enterprise namespace (`ns`). */
  namespace?: string | undefined;
  /** Enterprise admin partition. */
  partition?: string | undefined;
  /** `stale` lets any server answer (scales reads, may lag); `consistent` asks the leader to confirm. Default: Consul's default mode. */
  consistency?: 'default' | 'stale' | 'consistent' | undefined;
  /** Use the agent's cache (`cached`): fewer server reads, answers may be a little old. Default false. */
  cached?: boolean | undefined;
  /** Keep instances with a warning check, at `Weights.Warning`. Default false: passing only. */
  includeWarning?: boolean | undefined;
  /** Address an instance by this tagged address (`lan_ipv4`, `wan`) where it has one. */
  taggedAddress?: string | undefined;
  /** The `Service.Meta` key that holds the zone. Default `zone`. */
  zoneMetaKey?: string | undefined;
  /** Blocking wait per query. Default 60,000 (Consul's cap is 10 minutes). */
  waitMs?: number | undefined;
  /** Shortest time between queries that come back with an unchanged index. Default 1,000. */
  minIntervalMs?: number | undefined;
  /** Retry back-off after a failed query: jittered, doubling from `baseMs` up to `maxMs`. Default 1,000 / 30,000. */
  backoff?: { baseMs?: number | undefined; maxMs?: number | undefined } | undefined;
  /** How long an empty answer must last before it replaces a non-empty set. Default 2,000; 0 delivers at once. */
  emptyGraceMs?: number | undefined;
  clock?: Clock | undefined;
  random?: (() => number) | undefined;
}

export interface CheckedDiscovery {
  readonly agent: ResolvedAgent;
  readonly serviceName: string | undefined;
  readonly tags: readonly string[];
  readonly filter: string | undefined;
  readonly datacenter: string | undefined;
  readonly namespace: string | undefined;
  readonly partition: string | undefined;
  readonly consistency: 'default' | 'stale' | 'consistent';
  readonly cached: boolean;
  readonly includeWarning: boolean;
  readonly taggedAddress: string | undefined;
  readonly zoneMetaKey: string;
  readonly waitMs: number;
  readonly minIntervalMs: number;
  readonly backoff: { baseMs: number; maxMs: number };
  readonly emptyGraceMs: number;
  readonly clock: Clock;
  readonly random: () => number;
}

const OWNER = 'consulDiscovery';

export function checkDiscoveryOptions(options: ConsulDiscoveryOptions): CheckedDiscovery {
  if (typeof options !== 'object' || options === null) bad(OWNER, options, 'an options object');
  const at = (name: string) => `${OWNER} ${name}`;
  const name = (key: string, value: unknown, expected = 'a non-empty string') => {
    if (value !== undefined && (typeof value !== 'string' || value.trim() === '')) {
      bad(at(key), value, expected);
    }
    return value as string | undefined;
  };
  const int = (key: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) {
      bad(at(key), value, `an integer from ${min} to ${max} (milliseconds)`);
    }
    return value;
  };
  const serviceName = name('serviceName', options.serviceName, 'a Consul service name');
  const tags = options.tags ?? [];
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string' || t === '')) {
    bad(at('tags'), tags, 'a list of non-empty tag strings');
  }
  const consistency = options.consistency ?? 'default';
  if (!['default', 'stale', 'consistent'].includes(consistency)) {
    bad(at('consistency'), consistency, "'default', 'stale' or 'consistent'");
  }
  if (consistency === 'consistent' && options.cached) {
    bad(
      at('cached'),
      true,
      "false with consistency 'consistent' (Consul ignores the cache for consistent reads)",
    );
  }
  for (const flag of ['cached', 'includeWarning'] as const) {
    if (options[flag] !== undefined && typeof options[flag] !== 'boolean') {
      bad(at(flag), options[flag], 'true or false');
    }
  }
  const waitMs = int('waitMs', options.waitMs ?? 60_000, 1_000, 600_000);
  const backoff = {
    baseMs: int('backoff.baseMs', options.backoff?.baseMs ?? 1_000, 1, 600_000),
    maxMs: int('backoff.maxMs', options.backoff?.maxMs ?? 30_000, 1, 3_600_000),
  };
  if (backoff.maxMs < backoff.baseMs)
    bad(at('backoff.maxMs'), backoff.maxMs, `at least backoff.baseMs (${backoff.baseMs})`);
  const random = options.random ?? Math.random;
  if (typeof random !== 'function') bad(at('random'), random, 'a function returning [0, 1)');
  return {
    agent: resolveAgent(options, OWNER),
    serviceName,
    tags,
    filter: name('filter', options.filter, 'a Consul filter expression'),
    datacenter: name('datacenter', options.datacenter),
    namespace: name('namespace', options.namespace),
    partition: name('partition', options.partition),
    consistency,
    cached: options.cached ?? false,
    includeWarning: options.includeWarning ?? false,
    taggedAddress: name(
      'taggedAddress',
      options.taggedAddress,
      "a tagged address name such as 'lan_ipv4' or 'wan'",
    ),
    zoneMetaKey: name('zoneMetaKey', options.zoneMetaKey) ?? 'zone',
    waitMs,
    minIntervalMs: int('minIntervalMs', options.minIntervalMs ?? 1_000, 0, 600_000),
    backoff,
    emptyGraceMs: int('emptyGraceMs', options.emptyGraceMs ?? 2_000, 0, 600_000),
    clock: options.clock ?? systemClock,
    random,
  };
}
