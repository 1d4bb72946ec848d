import type { CallContext } from '../context/call-context.js';
import { failedWith, type Outcome, succeeded } from './outcome.js';
import type { Service } from './service.js';

/**
 * Where one call's outcome goes, once. A policy's per-call state object is the settler of the
 * service inside it; `settle` never throws: a settler catches what its own work throws and
 * settles its own settler with it.
 */
export interface Settler<Res> {
  settle(outcome: Outcome<Res>): void;
}

/**
 * A service's direct form (internal, for the built-ins): runs the call and hands its outcome to
 * `settler`, possibly before it returns; never throws. Composed direct forms pass an outcome
 * outward through method calls, so a chain of them costs the one promise its caller asked for
 * instead of a promise reaction per policy (~150 ns each on the HTTP path, decision 0041).
 */
export type DirectService<Req, Res> = (req: Req, ctx: CallContext, settler: Settler<Res>) => void;

const DIRECT = Symbol('outrigger.direct');

/**
 * The service built on `direct`: its promise form makes one promise per call and settles it
 * through `direct`; its direct form (`directOf`) is `direct` itself.
 */
export function directService<Req, Res>(direct: DirectService<Req, Res>): Service<Req, Res> {
  const service: Service<Req, Res> = (req, ctx) => promiseOf(direct, req, ctx);
  Object.defineProperty(service, DIRECT, { value: direct });
  return service;
}

/**
 * The direct form of `service`: its own when it has one, else an adapter that settles from its
 * promise (two closures and a reaction per call, what a promise-only service costs anyway).
 * Call once, when composing, not per call.
 */
export function directOf<Req, Res>(service: Service<Req, Res>): DirectService<Req, Res> {
  const own = (service as { [DIRECT]?: DirectService<Req, Res> })[DIRECT];
  if (own !== undefined) return own;
  return (req, ctx, settler) => {
    let pending: Promise<Res>;
    try {
      pending = service(req, ctx);
    } catch (error) {
      settler.settle(failedWith(error));
      return;
    }
    pending.then(
      (value) => settler.settle(succeeded(value)),
      (error: unknown) => settler.settle(failedWith(error)),
    );
  };
}

/** Sets the direct form of an entry service, whose promise form does more than `promiseOf`. */
export function withDirect<S extends object, Req, Res>(
  service: S,
  direct: DirectService<Req, Res>,
): S {
  Object.defineProperty(service, DIRECT, { value: direct });
  return service;
}

/** What takes a new promise's resolving functions (`promiseFor`). */
export interface PromiseHolder<T> {
  settlers(resolve: (value: T) => void, reject: (error: unknown) => void): void;
}

/** A new promise whose resolving functions go to `holder`. */
export function promiseFor<T>(holder: PromiseHolder<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => holder.settlers(resolve, reject));
}

/** The settler of a promise made by `promiseOf`: settles it with the outcome, once. */
class PromiseSettler<T> implements Settler<T>, PromiseHolder<T> {
  #resolve: (value: T) => void = ignore;
  #reject: (error: unknown) => void = ignore;

  settlers(resolve: (value: T) => void, reject: (error: unknown) => void): void {
    this.#resolve = resolve;
    this.#reject = reject;
  }

  settle(outcome: Outcome<T>): void {
    if (outcome.ok) this.#resolve(outcome.value);
    else this.#reject(outcome.error);
  }
}

function ignore(): void {}

/** Runs `direct` and returns its outcome as a promise. */
export function promiseOf<Req, Res>(
  direct: DirectService<Req, Res>,
  req: Req,
  ctx: CallContext,
): Promise<Res> {
  const settler = new PromiseSettler<Res>();
  const promise = promiseFor(settler);
  try {
    direct(req, ctx, settler);
  } catch (error) {
    // A direct form that broke its promise not to throw: its error is the call's, once.
    settler.settle(failedWith(error));
  }
  return promise;
}
