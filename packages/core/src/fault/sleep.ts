import { abortError } from '../context/abort-error.js';
import type { CallContext } from '../context/call-context.js';
import type { AbortListener } from '../context/cancellation.js';
import type { TimerHandle } from '../time/clock.js';

/** Waits `ms` on the call's clock; an abort (deadline, caller, hedge loser) ends it at once. */
export function sleep(ms: number, ctx: CallContext): Promise<void> {
  if (ctx.aborted) return Promise.reject(abortError(ctx));
  return new Promise<void>((resolve, reject) => {
    new Sleeper(ms, ctx, resolve, reject);
  });
}

class Sleeper implements AbortListener {
  readonly #ctx: CallContext;
  readonly #reject: (error: unknown) => void;
  readonly #timer: TimerHandle;

  constructor(ms: number, ctx: CallContext, resolve: () => void, reject: (error: unknown) => void) {
    this.#ctx = ctx;
    this.#reject = reject;
    this.#timer = ctx.clock.setTimeout(() => {
      ctx.cancellation.remove(this);
      resolve();
    }, ms);
    ctx.cancellation.add(this);
  }

  onAbort(): void {
    this.#ctx.clock.clearTimeout(this.#timer);
    this.#reject(abortError(this.#ctx));
  }
}
