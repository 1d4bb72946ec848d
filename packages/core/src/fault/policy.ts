import type { Random } from '../balancer/random.js';
import type { CallContext } from '../context/call-context.js';
import { FaultInjectedError } from '../errors/errors.js';
import type { EventBus } from '../events/events.js';
import { ROUTE } from '../routing/route.js';
import { namedPolicy, type Policy, type Service } from '../service/service.js';
import { sleep } from '../time/sleep.js';
import { type FaultSpec, type ResolvedFault, resolveFault } from './options.js';

export interface FaultPolicyOptions extends FaultSpec {
  /** Named in errors and events; each call's `ctx.service` by default. */
  service?: string | undefined;
  events?: EventBus | undefined;
  random?: Random | undefined;
}

/**
 * Fault injection (Envoy's fault filter): delay `delay.percent`% of attempts by `delay.ms`, and
 * abort `abort.percent`% of them with a `FaultInjectedError` of `abort.status` (or an error of
 * your choosing). Delay first, then abort, as Envoy does. A route's own `fault` (set by the
 * load-balancing policy on the attempt's context) replaces these settings for its requests,
 * and `false` exempts it. Nothing is injected unless configured; `fault(false)` (the resolved
 * config when `FAULT=off`) passes every call straight through, route faults included.
 *
 * It sits just above the transport, so an injected fault looks to the breaker, retries and
 * outlier detection exactly like a real one, and every injection emits `fault.injected`.
 * A delay waits on `ctx.clock`, never past the deadline, and ends at once on an abort.
 */
export function fault(options: FaultPolicyOptions | false = {}): Policy {
  if (options === false)
    return namedPolicy('fault', <Req, Res>(next: Service<Req, Res>) => next, {
      keepsCancellation: true,
    });
  const global = resolveFault(options, 'fault');
  const random = options.random ?? Math.random;
  const events = options.events;
  const policy: Policy = <Req, Res>(next: Service<Req, Res>): Service<Req, Res> => {
    const abort = (
      spec: ResolvedFault,
      ctx: CallContext,
      route: string | undefined,
    ): Promise<Res> => {
      const service = options.service ?? ctx.service;
      const error = spec.abortError
        ? spec.abortError()
        : new FaultInjectedError({ service, status: spec.abortStatus });
      if (events?.has('fault.injected')) {
        const status = spec.abortError ? undefined : spec.abortStatus;
        events.emit('fault.injected', {
          service,
          ctx,
          kind: 'abort',
          route,
          endpoint: ctx.endpoint,
          delayMs: undefined,
          status,
        });
      }
      return Promise.reject(error);
    };
    const delayed = async (
      spec: ResolvedFault,
      req: Req,
      ctx: CallContext,
      route: string | undefined,
    ): Promise<Res> => {
      const ms = Math.min(spec.delayMs, Math.max(0, ctx.remainingMs()));
      if (events?.has('fault.injected')) {
        const service = options.service ?? ctx.service;
        events.emit('fault.injected', {
          service,
          ctx,
          kind: 'delay',
          route,
          endpoint: ctx.endpoint,
          delayMs: ms,
          status: undefined,
        });
      }
      await sleep(ms, ctx);
      if (spec.abortPercent > 0 && random() * 100 < spec.abortPercent)
        return abort(spec, ctx, route);
      return next(req, ctx);
    };
    return (req, ctx) => {
      const route = ctx.get(ROUTE);
      const spec = route === undefined || route.fault === undefined ? global : route.fault;
      if (spec === false) return next(req, ctx);
      const name = route?.fault === undefined ? undefined : route.name;
      if (spec.delayPercent > 0 && random() * 100 < spec.delayPercent)
        return delayed(spec, req, ctx, name);
      if (spec.abortPercent > 0 && random() * 100 < spec.abortPercent)
        return abort(spec, ctx, name);
      return next(req, ctx);
    };
  };
  return namedPolicy('fault', policy, { keepsCancellation: true });
}
