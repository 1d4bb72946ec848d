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

/** Names a policy for `describe()` without wrapping it. */
export function namedPolicy<P extends (next: Service<never, never>) => unknown>(
  name: string,
  policy: P,
): P & { readonly policyName: string } {
  return Object.defineProperty(policy, 'policyName', { value: name, enumerable: true }) as P & {
    readonly policyName: string;
  };
}
