import type { CallContext } from '../context/call-context.js';
import { namedPolicy, type Policy, type Service } from '../service/service.js';
import { checkFallbackOptions, type FallbackOptions } from './options.js';

/** The error's own `code` when it is a string (Outrigger codes, Node's `ECONNREFUSED`, ...). */
function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The domain's alternative once everything else failed: a call that rejects with one of the
 * chosen codes (or matching the predicate) resolves with the fallback value instead. It belongs
 * outermost, in the user's own pipeline, so that it sees what is left after retries:
 *
 * ```ts
 * pipeline(fallback({ codes: ['CIRCUIT_OPEN', 'BULKHEAD_FULL'], value: [] }), ...defaults)
 * ```
 *
 * Only rejections are replaced: a resolved answer (an HTTP 503 Response included) passes as is.
 * The value is not checked against the service's response type; that is the caller's promise.
 */
export function fallback<V>(options: FallbackOptions<V>): Policy & { readonly policyName: string } {
  checkFallbackOptions(options as FallbackOptions<unknown>);
  const { codes, value, events } = options;
  const codeSet = typeof codes === 'function' ? undefined : new Set(codes);
  const matches = (error: unknown, ctx: CallContext): boolean =>
    codeSet
      ? codeSet.has(codeOf(error) as string)
      : (codes as (e: unknown, c: CallContext) => boolean)(error, ctx);

  const policy: Policy = <Req, Res>(next: Service<Req, Res>): Service<Req, Res> =>
    function fallbackCall(req: Req, ctx: CallContext): Promise<Res> {
      let pending: Promise<Res>;
      try {
        pending = next(req, ctx);
      } catch (error) {
        pending = Promise.reject(error);
      }
      // One closure, for the ctx; the success path adds nothing else.
      return pending.catch((error: unknown) => {
        if (!matches(error, ctx)) throw error;
        if (events?.has('fallback.used')) {
          events.emit('fallback.used', {
            service: options.service ?? ctx.service,
            ctx,
            code: codeOf(error),
          });
        }
        return (
          typeof value === 'function'
            ? (value as (e: unknown, c: CallContext) => unknown)(error, ctx)
            : value
        ) as Res | Promise<Res>;
      });
    };

  return namedPolicy<Policy>('fallback', policy, { keepsCancellation: true });
}
