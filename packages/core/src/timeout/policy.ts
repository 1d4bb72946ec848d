import { abortError } from '../context/abort-error.js';
import { CALL_OPTIONS } from '../context/call-options.js';
import { TimeoutError } from '../errors/errors.js';
import { directOf, directService } from '../service/direct.js';
import { failedWith } from '../service/outcome.js';
import {
  isCancellationHonoured,
  namedPolicy,
  type Policy,
  type Service,
} from '../service/service.js';
import { schedulerFor } from './deadline-scheduler.js';
import { checkTimeoutOptions, type TimeoutPolicyOptions } from './options.js';
import { TimedCall } from './timed-call.js';

/**
 * Enforces a deadline: `timeout({ totalMs })` for the logical call (outside retries),
 * `timeout({ perTryMs })` for each attempt (inside retries). The deadline is absolute and only
 * shrinks: min(incoming deadline, now + ms). The total policy also enforces a deadline it
 * inherited (from the caller or an inbound request) and honours a per-call `timeoutMs`
 * override. Expiry aborts the call's cancellation (the transport closes the request) and
 * rejects with TIMEOUT; a caller's abort rejects at once with the caller's reason.
 */
export function timeout(options: TimeoutPolicyOptions): Policy {
  const { ms, kind } = checkTimeoutOptions(options);
  const events = options.events;
  return namedPolicy(
    kind === 'total' ? 'total-deadline' : 'per-try-timeout',
    <Req, Res>(next: Service<Req, Res>): Service<Req, Res> => {
      // Around a service that honours cancellation, the deadline aborts it and passes its
      // rejection on; around any other, the deadline races it (decision 0036).
      const racing = !isCancellationHonoured(next);
      const inner = directOf(next);
      return directService<Req, Res>((req, ctx, settler) => {
        const clock = options.clock ?? ctx.clock;
        const now = clock.now();
        let own = ms;
        if (kind === 'total') {
          const override = ctx.get(CALL_OPTIONS)?.timeoutMs;
          if (override !== undefined) own = override;
        }
        const ownDeadline = own === undefined ? Number.POSITIVE_INFINITY : now + own;
        const inherited = ownDeadline >= ctx.deadline;
        const deadline = inherited ? ctx.deadline : ownDeadline;
        // A per-try deadline no shorter than the call's adds nothing: the outer policy enforces it.
        if (deadline === Number.POSITIVE_INFINITY || (inherited && kind === 'per-try')) {
          inner(req, ctx, settler);
          return;
        }
        const effectiveKind = inherited && ctx.attempt === 0 ? 'inbound' : kind;
        const timeoutMs = inherited ? Math.max(0, Math.round(deadline - now)) : own!;
        if (ctx.aborted) {
          settler.settle(failedWith(abortError(ctx)));
          return;
        }
        if (deadline <= now) {
          settler.settle(
            failedWith(new TimeoutError({ service: ctx.service, timeoutMs, kind: effectiveKind })),
          );
          return;
        }
        const call = new TimedCall<Res>(
          ctx,
          effectiveKind,
          timeoutMs,
          schedulerFor(clock),
          events,
          settler,
          racing,
        );
        call.start(deadline);
        try {
          inner(req, ctx.withScope(call, deadline), call);
        } catch (error) {
          call.settle(failedWith(error));
        }
      });
    },
    { keepsCancellation: true },
  );
}
