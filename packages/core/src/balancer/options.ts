import { type Classifier, defaultClassifier } from '../classify/classifier.js';
import { checkServiceName } from '../config/env.js';
import { checkedValue } from '../config/policy-options.js';
import { choice, type SettingDef, text } from '../config/setting.js';
import type { CallContext } from '../context/call-context.js';
import { CALL_OPTIONS } from '../context/call-options.js';
import type { Discovery } from '../discovery/discovery.js';
import type { EndpointSpec } from '../discovery/endpoint-list.js';
import { DISCOVERY_INITIAL_WAIT_MS } from '../discovery/options.js';
import { staticDiscovery } from '../discovery/static-discovery.js';
import { ConfigInvalidError } from '../errors/errors.js';
import type { EventBus } from '../events/events.js';
import {
  type OutlierOptions,
  type ResolvedOutlierOptions,
  resolveOutlierOptions,
} from '../outlier/options.js';
import type { Route } from '../routing/route.js';
import type { Clock } from '../time/clock.js';
import type { Balancer } from './balancer.js';
import { BALANCER_NAMES, type BalancerName, toBalancer } from './by-name.js';
import { pickRandom, type Random } from './random.js';

const BALANCER = choice(
  { env: 'BALANCER', path: ['balancer'], doc: 'Load-balancing algorithm.' },
  BALANCER_NAMES,
  'p2c-ewma',
  true,
);

const ZONE = text(
  {
    env: 'ZONE',
    path: ['zone'],
    doc: "This caller's zone, preferred while it has healthy capacity.",
  },
  /^[A-Za-z0-9._-]{1,128}$/,
  'a zone name of 1 to 128 letters, digits, dots, dashes or underscores',
);

export const BALANCER_SETTINGS: readonly SettingDef[] = [BALANCER, ZONE];

export interface LoadBalancerOptions {
  service: string;
  /** A Discovery, or a static list of `host:port` / EndpointInit (the resolved config's shape). */
  discovery: Discovery | readonly EndpointSpec[] | object | undefined;
  /** A name from `BALANCER_NAMES` or a Balancer. Default 'p2c-ewma'. */
  balancer?: BalancerName | Balancer | object | undefined;
  /** Default: none, every request goes to every endpoint. Replace later with `setRoutes`. */
  routes?: readonly Route[] | undefined;
  /** The `outlierDetection` config section (Envoy's defaults), or false. */
  outlierDetection?: OutlierOptions | false | undefined;
  /** This caller's zone: its endpoints are preferred while the zone has enough healthy capacity. */
  zone?: string | undefined;
  /** The zone is preferred while at least this share of its endpoints is healthy. Default 70. */
  zoneAware?: { minHealthyPercent?: number | undefined } | false | undefined;
  /**
   * A request carrying this header (value `version=v2` or `version=v2,zone=eu-1`) goes to that
   * subset, bypassing routes: for trying a canary by hand. Default 'x-outrigger-subset'.
   */
  overrideHeader?: string | false | undefined;
  /** The affinity key for hashed balancers. Default: `CallOptions.hashKey`. */
  hashKey?: ((ctx: CallContext) => string | undefined) | undefined;
  /** Judges outcomes for the load metric and outlier detection. Default `defaultClassifier`. */
  classifier?: Classifier | undefined;
  events?: EventBus | undefined;
  /**
   * Once discovery has reported an error and no set has arrived, calls stop waiting for one
   * this long after the subscription, failing with `NO_ENDPOINTS` (the error as cause). A
   * source that has not failed is waited for up to each call's deadline. Default 1,000 ms.
   */
  discoveryInitialWaitMs?: number | undefined;
  /**
   * For latency and ejection times (each call's `ctx.clock` by default) and the initial wait
   * (the system clock by default).
   */
  clock?: Clock | undefined;
  random?: Random | undefined;
}

export interface ResolvedLoadBalancerOptions {
  readonly service: string;
  readonly discovery: Discovery;
  /** True when the policy made the discovery from a list, so it closes it too. */
  readonly ownsDiscovery: boolean;
  readonly balancer: Balancer;
  readonly outlier: ResolvedOutlierOptions | false;
  readonly zone: string | undefined;
  readonly zoneMinHealthyPercent: number;
  readonly overrideHeader: string | undefined;
  readonly hashKey: (ctx: CallContext) => string | undefined;
  readonly classifier: Classifier;
  readonly events: EventBus | undefined;
  readonly discoveryInitialWaitMs: number;
  readonly clock: Clock | undefined;
  readonly random: Random;
}

const defaultHashKey = (ctx: CallContext) => ctx.get(CALL_OPTIONS)?.hashKey;

export function resolveLoadBalancerOptions(
  options: LoadBalancerOptions,
): ResolvedLoadBalancerOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigInvalidError({
      setting: 'loadBalancer options',
      value: options,
      expected: 'an options object with { service, discovery }',
    });
  }
  const service = checkServiceName(options.service);
  const bad = (name: string, value: unknown, expected: string): never => {
    throw new ConfigInvalidError({ setting: `${service}: option ${name}`, value, expected });
  };
  const random = pickRandom(options.random);
  if (typeof random !== 'function')
    bad('random', random, 'a function returning a number in [0, 1)');
  const { discovery, owns } = toDiscovery(options.discovery, bad);
  const zone = options.zone;
  if (zone !== undefined && (typeof zone !== 'string' || zone.length === 0))
    bad('zone', zone, 'a non-empty zone name');
  const zoneAware = options.zoneAware ?? {};
  const minHealthy = zoneAware === false ? 0 : (zoneAware.minHealthyPercent ?? 70);
  if (typeof minHealthy !== 'number' || !(minHealthy >= 0 && minHealthy <= 100)) {
    bad('zoneAware.minHealthyPercent', minHealthy, 'a number from 0 to 100');
  }
  const header = options.overrideHeader ?? 'x-outrigger-subset';
  if (
    header !== false &&
    (typeof header !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header))
  ) {
    bad('overrideHeader', header, 'a header name, or false');
  }
  const initialWaitMs = checkedValue(
    DISCOVERY_INITIAL_WAIT_MS,
    options.discoveryInitialWaitMs ?? DISCOVERY_INITIAL_WAIT_MS.default,
    `${service}: option discoveryInitialWaitMs`,
  );
  for (const name of ['hashKey', 'events', 'clock', 'classifier'] as const) {
    const value = options[name];
    if (value !== undefined && typeof value !== (name === 'hashKey' ? 'function' : 'object')) {
      bad(name, value, name === 'hashKey' ? 'a function of the call context' : 'an object');
    }
  }
  return {
    service,
    discovery,
    ownsDiscovery: owns,
    balancer: toBalancer(
      options.balancer === undefined ? BALANCER.default : options.balancer,
      `${service}: option balancer`,
      random,
    ),
    outlier: resolveOutlierOptions(options.outlierDetection, service),
    zone,
    zoneMinHealthyPercent: minHealthy,
    overrideHeader: header === false ? undefined : header.toLowerCase(),
    hashKey: options.hashKey ?? defaultHashKey,
    classifier: options.classifier ?? defaultClassifier,
    events: options.events,
    discoveryInitialWaitMs: initialWaitMs,
    clock: options.clock,
    random,
  };
}

function toDiscovery(
  value: unknown,
  bad: (name: string, value: unknown, expected: string) => never,
): { discovery: Discovery; owns: boolean } {
  if (Array.isArray(value)) return { discovery: staticDiscovery(value), owns: true };
  const candidate = value as Partial<Discovery> | undefined;
  if (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.subscribe === 'function'
  ) {
    return { discovery: candidate as Discovery, owns: false };
  }
  return bad(
    'discovery',
    typeof value === 'object' && value !== null ? '(an object without subscribe())' : value,
    'a Discovery or a list of "host:port" (or set OUTRIGGER_<SERVICE>_ENDPOINTS)',
  );
}
