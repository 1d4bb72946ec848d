import { type CallContext, ConfigInvalidError, type Policy, type Service } from '@outrigger/core';

/** Refused here, not sent: too little of the call's deadline was left for an answer. */
export class TooLateError extends Error {
  readonly code = 'TOO_LATE';
  constructor(
    readonly service: string,
    readonly remainingMs: number,
    readonly minRemainingMs: number,
  ) {
    super(
      `${service}: ${Math.max(0, Math.floor(remainingMs))} ms left before the deadline, ` +
        `under the ${minRemainingMs} ms a call needs: not sent`,
    );
    this.name = 'TooLateError';
  }
}

export interface ShedWhenLateOptions {
  /** A call with less than this left before its deadline is refused at once. */
  minRemainingMs: number;
}

/**
 * Refuses a call that cannot finish in time instead of sending it: an answer nobody waits for
 * costs the downstream as much as one somebody does. The deadline may come from this client's
 * `timeout`, the caller, or an inbound request, so a service deep in a call graph sheds the
 * work its callers have already given up on.
 */
export function shedWhenLate(options: ShedWhenLateOptions): Policy {
  const { minRemainingMs } = options;
  if (!(Number.isFinite(minRemainingMs) && minRemainingMs >= 0)) {
    throw new ConfigInvalidError({
      setting: 'shedWhenLate: minRemainingMs',
      value: minRemainingMs,
      expected: 'a finite number of milliseconds, 0 or more',
    });
  }
  return <Req, Res>(next: Service<Req, Res>): Service<Req, Res> =>
    async (req: Req, ctx: CallContext): Promise<Res> => {
      const remaining = ctx.remainingMs();
      if (remaining < minRemainingMs) {
        throw new TooLateError(ctx.service, remaining, minRemainingMs);
      }
      return next(req, ctx);
    };
}
