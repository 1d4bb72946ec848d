import type { Verdict } from '../classify/classifier.js';
import { ATTEMPT_LOG } from '../context/attempt-log.js';
import type { CallContext } from '../context/call-context.js';
import { REQUEST_INFO } from '../context/request-info.js';
import { ClientClosedError, NoEndpointsError } from '../errors/errors.js';
import { OutlierDetector } from '../outlier/detector.js';
import { compileRoutes } from '../routing/compile.js';
import { ROUTE, type Route, SUBSET } from '../routing/route.js';
import { type AttemptFrame, type Guard, guardPolicy, WAIT } from '../service/guard.js';
import { namedPolicy, type Policy } from '../service/service.js';
import { systemClock } from '../time/clock.js';
import type { Backend } from './backend.js';
import type { PickRequest } from './balancer.js';
import { hashString } from './hash.js';
import { type LoadBalancerOptions, resolveLoadBalancerOptions } from './options.js';
import { Placement, type RouteEntry } from './placement.js';
import { EndpointPool } from './pool.js';
import { inspect, type LoadBalancerSnapshot } from './snapshot.js';
import type { Subset, SubsetEnv } from './subset.js';
import { FirstSetWait } from './wait.js';

export interface LoadBalancerPolicy extends Policy {
  /** Replaces the routes; attempts already placed finish where they are. Validated first. */
  setRoutes(routes: readonly Route[]): void;
  /** Unsubscribes from discovery (and closes it if it was made from a list); waiting calls fail. */
  close(): Promise<void>;
  /** What the balancer knows now: endpoints, load, ejections, subsets in panic. */
  inspect(): LoadBalancerSnapshot;
  /** Endpoints in the current set (0 before the first): what one pass of requeues can cover. */
  endpointCount(): number;
}

/**
 * The "route + balancer" position of the chain, with per-endpoint outlier detection inside it
 * (ejection must shape the very next pick). Per attempt: wait for discovery's first set (within
 * the deadline), choose the subset (override header, route split, or all), pick from its
 * immutable picker (avoiding endpoints this call already tried, and recording the pick), call
 * `next` with `ctx.withEndpoint(endpoint)`, then judge the outcome with the classifier and feed
 * the balancer's load metric and outlier detection. Discovery updates, ejections and route
 * changes only replace pickers; attempts in flight keep their endpoint and finish normally.
 */
export function loadBalancer(options: LoadBalancerOptions): LoadBalancerPolicy {
  const o = resolveLoadBalancerOptions(options);
  const { service, balancer, classifier, events, random, overrideHeader, hashKey } = o;
  const pool = new EndpointPool();
  const placement = new Placement();
  placement.setRoutes(compileRoutes(options.routes));
  const detector = o.outlier ? new OutlierDetector(o.outlier, service, events) : undefined;
  const env: SubsetEnv = {
    service,
    pool,
    balancer,
    panicThresholdPercent: o.outlier ? o.outlier.panicThresholdPercent : 0,
    zone: o.zone,
    zoneMinHealthyPercent: o.zoneMinHealthyPercent,
    events,
  };
  const waiting = new FirstSetWait(service, o.discoveryInitialWaitMs, o.clock ?? systemClock);
  // One request object for every pick: a pick is synchronous, and this saves an allocation.
  const request: PickRequest = { now: 0, hash: undefined, exclude: undefined, ctx: undefined };
  let closed = false;

  const unsubscribe = o.discovery.subscribe(service, {
    onEndpoints(endpoints) {
      if (closed) return;
      const { added, removed } = pool.update(endpoints, (b) => detector?.forget(b));
      if (events?.has('discovery.updated'))
        events.emit('discovery.updated', { service, endpoints, added, removed });
      waiting.release();
    },
    onError(error) {
      // Before any set, calls stop waiting for one (after the initial wait); after, the last
      // good set stays in force and calls go on.
      if (!pool.received) waiting.sourceFailed(error);
      if (events?.has('discovery.failed'))
        events.emit('discovery.failed', { service, error, kept: pool.backends.length });
    },
  });

  // A clock read costs ~50 ns on Node 20 (performance.now), so only what is used is read:
  // latency when the balancer learns from it, the time when outlier detection may need it.
  const timed = balancer.observe !== undefined;
  const stamped = timed || detector !== undefined;
  const settle = (backend: Backend, verdict: Verdict, start: number, ctx: CallContext) => {
    const clock = o.clock ?? ctx.clock;
    if (backend.removed) return;
    if (timed) {
      const end = clock.now();
      balancer.observe!(backend, end - start, verdict, end);
    }
    if (detector === undefined) return;
    if (verdict === 'success') detector.succeeded(backend);
    else if (detector.record(backend, verdict, start, pool.backends.length, ctx)) {
      pool.healthChanged();
    }
  };

  /**
   * Places one attempt: the subset, the pick, the attempt log, and the context handed inward
   * (`frame.ctx`, with the endpoint). Throws `NO_ENDPOINTS` when nothing is eligible.
   */
  const place = (frame: AttemptFrame): Backend => {
    const ctx = frame.ctx;
    const now = stamped ? (o.clock ?? ctx.clock).now() : 0;
    if (
      detector !== undefined &&
      now >= detector.nextRestoreAt &&
      detector.restoreDue(pool.backends, now)
    ) {
      pool.healthChanged();
    }
    let route: RouteEntry | undefined;
    let subset = placement.all;
    if (overrideHeader !== undefined || placement.routes.length > 0) {
      const info = ctx.get(REQUEST_INFO);
      if (info !== undefined) {
        if (placement.routes.length > 0) route = placement.match(info);
        subset = placement.subsetFor(info, route, pool, random, overrideHeader, service);
      }
    }
    const picker = subset.picker(env);
    if (picker === undefined) {
      throw new NoEndpointsError({ service, reason: noPickReason(subset, pool.backends.length) });
    }
    const log = ctx.get(ATTEMPT_LOG);
    request.now = now;
    request.exclude = log?.endpoints;
    request.ctx = ctx;
    if (balancer.hashed) {
      const key = hashKey(ctx);
      request.hash = key === undefined ? undefined : hashString(key) >>> 2;
    }
    const backend = picker.pick(request);
    request.exclude = undefined;
    request.ctx = undefined;
    log?.record(backend.endpoint);
    let routed = route === undefined ? ctx : ctx.with(ROUTE, route.route);
    if (subset !== placement.all) routed = routed.with(SUBSET, subset.selector.key);
    frame.ctx = routed.withEndpoint(backend.endpoint);
    frame.start = now;
    backend.outstanding++;
    return backend;
  };

  // A guard, not a wrapper: with the breaker and bulkhead outside it, the three share one frame
  // per attempt (service/guard.ts). The token is the picked backend.
  const guard: Guard<Backend> = {
    classifier,
    admit(frame) {
      if (closed) throw new ClientClosedError(service);
      return pool.received ? place(frame) : WAIT;
    },
    wait(frame) {
      return waiting.wait(frame.ctx).then(() => {
        if (closed) throw new ClientClosedError(service);
        return place(frame);
      });
    },
    settle(backend, verdict, frame) {
      backend.outstanding--;
      settle(backend, verdict, frame.start, frame.ctx);
    },
  };
  const lb = guardPolicy(guard);

  const named: Policy = namedPolicy('load-balancer', lb, { keepsCancellation: true });
  return Object.assign(named, {
    setRoutes(routes: readonly Route[]) {
      placement.setRoutes(compileRoutes(routes));
    },
    async close() {
      if (closed) return;
      closed = true;
      unsubscribe();
      waiting.fail(new ClientClosedError(service));
      if (o.ownsDiscovery) await o.discovery.close();
    },
    inspect: () => inspect(pool, placement, env),
    endpointCount: () => pool.backends.length,
  });
}

function noPickReason(subset: Subset, total: number): string {
  if (total === 0) return 'discovery reports no endpoints';
  if (subset.members.length === 0) return `no endpoint matches ${subset.selector.key}`;
  return `all ${subset.members.length} endpoints of ${subset.selector.key || 'the service'} are ejected and panic mode is off`;
}
