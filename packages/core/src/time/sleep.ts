import { abortError } from '../context/abort-error.js';
import type { CallContext } from '../context/call-context.js';
import type { AbortListener } from '../context/cancellation.js';
import type { Clock, TimerHandle } from './clock.js';

class Sleep implements AbortListener {
  timer: TimerHandle | undefined;
  constructor(
    readonly ctx: CallContext,
    readonly clock: Clock,
    readonly resolve: () => void,
    readonly reject: (error: unknown) => void,
  ) {}

  wake = (): void => {
    this.ctx.cancellation.remove(this);
    this.resolve();
  };

  onAbort(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.reject(abortError(this.ctx));
  }
}

/**
 * Waits `ms` on `clock` (the context's by default), rejecting at once if the call is aborted
 * meanwhile (the caller left, or a deadline passed): a backoff never outlives its call.
 */
export function sleep(ms: number, ctx: CallContext, clock: Clock = ctx.clock): Promise<void> {
  if (ctx.aborted) return Promise.reject(abortError(ctx));
  return new Promise<void>((resolve, reject) => {
    const sleep = new Sleep(ctx, clock, resolve, reject);
    sleep.timer = clock.setTimeout(sleep.wake, ms);
    ctx.cancellation.add(sleep);
  });
}
