import type { CallContext, CallInit } from '../context/call-context.js';

/** A client is an async function (Finagle's "your server as a function"). */
export type Service<Req, Res> = (req: Req, ctx: CallContext) => Promise<Res>;

/** A policy turns a service into another service with the same request and response types. */
export interface Policy {
  <Req, Res>(next: Service<Req, Res>): Service<Req, Res>;
  /** Shown by `describe()`; set by every built-in policy. */
  readonly policyName?: string;
}

/** The outermost service: the context may be omitted, or given as `{ signal }` and friends. */
export type EntryService<Req, Res> = (req: Req, ctx?: CallContext | CallInit) => Promise<Res>;

export interface PolicyTraits {
  /**
   * Around a service that honours cancellation (see `honoursCancellation`), the policy's own
   * service honours it too: every wait of its own ends when the call is aborted. True of every
   * built-in policy; `pipeline()` then marks what it composes, and deadlines inside need not race.
   */
  readonly keepsCancellation?: boolean;
}

const HONOURS_CANCELLATION = Symbol.for('outrigger.honoursCancellation');
const KEEPS_CANCELLATION = Symbol.for('outrigger.keepsCancellation');

/**
 * Sets a boolean trait on a function itself, not on a wrapper, so that marking a service or a
 * policy adds nothing to its calls. `hasTrait` reads it back.
 */
export function setTrait<F extends object>(fn: F, trait: symbol): F {
  Object.defineProperty(fn, trait, { value: true });
  return fn;
}

export function hasTrait(fn: object, trait: symbol): boolean {
  return (fn as Record<symbol, unknown>)[trait] === true;
}

/** Names a policy for `describe()` without wrapping it. */
export function namedPolicy<P extends (next: Service<never, never>) => unknown>(
  name: string,
  policy: P,
  traits: PolicyTraits = {},
): P & { readonly policyName: string } {
  Object.defineProperty(policy, 'policyName', { value: name, enumerable: true });
  if (traits.keepsCancellation) setTrait(policy, KEEPS_CANCELLATION);
  return policy as P & { readonly policyName: string };
}

/**
 * Marks `service` as one that settles promptly once its context's cancellation aborts, rejecting
 * with `abortError(ctx)` (so a deadline's `TimeoutError` comes back as it is). A deadline around
 * such a service aborts it and lets its rejection through, instead of racing it with a promise
 * of its own (about 200 B less per call). Outrigger's transports are marked; mark your own only
 * if it keeps that promise, or a deadline around it ends only when it does.
 */
export function honoursCancellation<S extends Service<never, unknown>>(service: S): S {
  return setTrait(service, HONOURS_CANCELLATION);
}

export function isCancellationHonoured(service: Service<never, unknown>): boolean {
  return hasTrait(service, HONOURS_CANCELLATION);
}

export function keepsCancellation(policy: Policy): boolean {
  return hasTrait(policy, KEEPS_CANCELLATION);
}
