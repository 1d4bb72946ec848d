import { metrics, trace } from '@opentelemetry/api';
import type { LoadBalancerSnapshot } from '../balancer/snapshot.js';
import { RetryBudget } from '../budget/retry-budget.js';
import { type Classifier, defaultClassifier } from '../classify/classifier.js';
import { serviceEnvKey } from '../config/env.js';
import type { ClientOptions, EffectiveConfig } from '../config/options.js';
import { type ResolvedConfig, resolveConfig } from '../config/resolve.js';
import type { Discovery } from '../discovery/discovery.js';
import { staticDiscovery } from '../discovery/static-discovery.js';
import { ConfigInvalidError } from '../errors/errors.js';
import { EventBus } from '../events/events.js';
import type { Route } from '../routing/route.js';
import { pipeline } from '../service/pipeline.js';
import type { EntryService, Policy, Service } from '../service/service.js';
import type { ProtocolTelemetry } from '../telemetry/protocol.js';
import { tracingProbe } from '../telemetry/tracing-probe.js';
import { type Clock, systemClock } from '../time/clock.js';
import type { ClientSnapshot } from './client-snapshot.js';
import { DEFAULT_CHAIN, describeClient } from './default-chain.js';
import { type BuildContext, POSITION_BUILDERS } from './positions.js';
import { takeSnapshot } from './snapshot.js';

export interface ChainParts<Req, Res> {
  /** The user's client options, resolved here against the environment (throws CONFIG_INVALID). */
  readonly options: ClientOptions;
  /** Top-level option names the protocol package adds, so the resolver accepts them. */
  readonly extraKeys?: readonly string[];
  /**
   * Sends `req` to `ctx.endpoint`; honours `ctx.cancellation` and `ctx.deadline`. Mark it with
   * `honoursCancellation()` when it rejects at once on abort, so deadlines need not race it.
   */
  readonly transport: Service<Req, Res>;
  readonly classifier?: Classifier<Res>;
  /** The protocol's span names and semantic-convention attributes; generic spans without it. */
  readonly telemetry?: ProtocolTelemetry<Req, Res>;
  /**
   * Wraps the discovery the options name before anything subscribes to it (gRPC's active health
   * checks hold back endpoints that report NOT_SERVING). The wrapper's `close` closes the inner.
   */
  readonly wrapDiscovery?: (discovery: Discovery) => Discovery;
  /**
   * Positions this protocol form has no use for, by name (a gRPC interceptor on the user's own
   * channel has no endpoints to balance: `['route + balancer', 'outlier-detection']`). Without a
   * balancer, no discovery is built and the transport gets no `ctx.endpoint`.
   */
  readonly without?: readonly string[];
  readonly events?: EventBus;
  readonly clock?: Clock;
  readonly random?: () => number;
}

export interface Chain<Req, Res> {
  /** The whole default chain around the transport. */
  readonly call: EntryService<Req, Res>;
  readonly resolved: ResolvedConfig;
  readonly config: EffectiveConfig;
  /** The discovery in use: built from a host:port list, or the user's own. */
  readonly discovery: Discovery;
  readonly events: EventBus;
  /** The one extra-load budget shared by retries, requeues and hedges. */
  readonly budget: RetryBudget | undefined;
  /** Replaces the routes at run time; calls in flight finish where they are. */
  setRoutes(routes: readonly Route[]): void;
  /** What the load balancer knows now: endpoints, load, ejections. */
  inspect(): LoadBalancerSnapshot | undefined;
  /**
   * The client's live state as plain data: endpoints, breaker, budget, bulkhead, rate limit and
   * routes (see `ClientSnapshot` for the rules). Computed on demand; calls pay nothing for it.
   */
  snapshot(): ClientSnapshot;
  /** Names of the positions built, outermost first. */
  readonly policies: readonly string[];
  describe(): string;
  /** Stops discovery watches and releases what the policies hold. Idempotent. */
  close(): Promise<void>;
}

/**
 * Builds the default chain (see `DEFAULT_CHAIN` for the order and the reason for each
 * position) from resolved settings, around a protocol's transport. Options are resolved once
 * here, at client creation, never per call.
 */
export function buildChain<Req, Res>(parts: ChainParts<Req, Res>): Chain<Req, Res> {
  const resolved = resolveConfig(parts.options, { extraKeys: parts.extraKeys ?? [] });
  for (const warning of resolved.warnings)
    process.emitWarning(warning, { code: 'OUTRIGGER_CONFIG' });
  const config = resolved.config;
  const clock = parts.clock ?? systemClock;
  const events = parts.events ?? new EventBus();
  const retryOrHedge = config.retry || config.hedge;
  const budget = retryOrHedge
    ? new RetryBudget({ ...(config.retry ? config.retry.budget : {}), clock })
    : undefined;
  const without = new Set(parts.without ?? []);
  for (const name of without) {
    if (!DEFAULT_CHAIN.some((p) => p.name === name)) {
      throw new Error(`buildChain: no position named ${name}`);
    }
  }
  // Checked before the discovery is built, so a refusal leaves nothing open.
  const tracerProvider = provider(
    config.service,
    'tracerProvider',
    'getTracer',
    parts.options.tracerProvider,
    trace.getTracerProvider(),
  );
  const meterProvider = provider(
    config.service,
    'meterProvider',
    'getMeter',
    parts.options.meterProvider,
    metrics.getMeterProvider(),
  );
  const named = without.has('route + balancer') ? NO_DISCOVERY : discoveryFor(config);
  const discovery = parts.wrapDiscovery ? parts.wrapDiscovery(named) : named;
  const routes = (parts.options as { routes?: readonly Route[] }).routes;
  const context: BuildContext = {
    config,
    service: config.service,
    classifier: (parts.classifier ?? defaultClassifier) as Classifier<never>,
    events,
    clock,
    random: parts.random ?? Math.random,
    budget,
    closers: [],
    resolved,
    routes,
    discovery,
    tracer: tracerProvider.getTracer(TRACER_NAME, TRACER_VERSION),
    tracing: tracingProbe(tracerProvider),
    meter: meterProvider.getMeter(TRACER_NAME, TRACER_VERSION),
    protocolTelemetry: parts.telemetry as ProtocolTelemetry<never, never> | undefined,
    metrics: undefined,
    loadBalancer: undefined,
    breaker: undefined,
    bulkhead: undefined,
    rateLimit: undefined,
  };
  const policies: Policy[] = [];
  const names: string[] = [];
  for (const position of DEFAULT_CHAIN) {
    if (without.has(position.name)) continue;
    const policy = POSITION_BUILDERS[position.name]?.(context);
    if (policy === undefined) continue;
    if (policy !== 'included') policies.push(policy);
    names.push(position.name);
  }
  // The client owns its discovery, given or built: it is closed with the client, last.
  const closers = context.closers;
  const call = pipeline(...policies)(parts.transport);
  let closing: Promise<void> | undefined;
  return {
    call,
    resolved,
    config,
    discovery,
    events,
    budget,
    policies: names,
    describe: () => describeClient(config, resolved.describe(), DEFAULT_CHAIN, names),
    setRoutes: (next) => {
      if (!context.loadBalancer) throw new Error('this chain has no load balancer to route with');
      context.loadBalancer.setRoutes(next);
    },
    inspect: () => context.loadBalancer?.inspect(),
    snapshot: () => takeSnapshot(context),
    close: () => {
      closing ??= Promise.all(closers.map((close) => close())).then(() => discovery.close());
      return closing;
    },
  };
}

/** The instrumentation scope of every Outrigger span and instrument. */
const TRACER_NAME = '@outrigger/core';
const TRACER_VERSION = '0.1.0';

/** What a chain without a balancer subscribes nothing to. */
const NO_DISCOVERY: Discovery = {
  subscribe: () => () => {},
  close: () => Promise.resolve(),
};

/** The provider given in code, or the global one; the options type alone does not stop a wrong value from JS. */
function provider<T>(
  service: string,
  option: string,
  method: string,
  given: unknown,
  global: T,
): T {
  if (given === undefined) return global;
  if (typeof (given as Record<string, unknown> | null)?.[method] !== 'function') {
    throw new ConfigInvalidError({
      setting: `${service}: option ${option}`,
      value:
        typeof given === 'object' && given !== null ? `(an object without ${method}())` : given,
      expected: `an OpenTelemetry ${option} with ${method}(), or nothing for the global one`,
    });
  }
  return given as T;
}

/** A host:port list becomes a static discovery; a Discovery is used as given. */
function discoveryFor(config: EffectiveConfig): Discovery {
  const source = config.discovery;
  if (Array.isArray(source)) return staticDiscovery(source as readonly string[]);
  if (
    source &&
    typeof (source as Discovery).subscribe === 'function' &&
    typeof (source as Discovery).close === 'function'
  ) {
    return source as Discovery;
  }
  throw new ConfigInvalidError({
    setting: `${config.service}: option discovery`,
    value:
      source === undefined
        ? 'unset'
        : typeof source === 'object' && source !== null
          ? '(an object without subscribe() and close())'
          : String(source),
    expected: `a Discovery (staticDiscovery, dnsDiscovery, consulDiscovery, k8sDiscovery) or a list of host:port, in code or in OUTRIGGER_${serviceEnvKey(config.service)}_ENDPOINTS`,
  });
}
