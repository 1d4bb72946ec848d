import { describe, expect, it } from 'vitest';
import { breaker } from '../breaker/policy.js';
import { bulkhead } from '../bulkhead/policy.js';
import { abortError } from '../context/abort-error.js';
import { CallContext } from '../context/call-context.js';
import { retry } from '../retry/policy.js';
import { directService, type Settler } from '../service/direct.js';
import { failedWith, succeeded } from '../service/outcome.js';
import { pipeline } from '../service/pipeline.js';
import {
  honoursCancellation,
  isCancellationHonoured,
  type Policy,
  type Service,
} from '../service/service.js';
import { ticksToSettle } from '../service/test-support/ticks.js';
import { ManualClock, settle } from '../time/manual-clock.js';
import { schedulerFor } from './deadline-scheduler.js';
import { timeout } from './policy.js';

/** Settles only when told to, or (honouring cancellation) at once with abortError on abort. */
function controllable(honours: boolean) {
  const calls: { ctx: CallContext; resolve: (v: string) => void }[] = [];
  let promises = 0;
  const svc: Service<unknown, string> = (_req, ctx) =>
    new Promise<string>((resolve, reject) => {
      promises++;
      calls.push({ ctx, resolve });
      if (honours) ctx.cancellation.add({ onAbort: () => reject(abortError(ctx)) });
    });
  return { svc: honours ? honoursCancellation(svc) : svc, calls, promises: () => promises };
}

describe('timeout() around a service that honours cancellation (decision 0036)', () => {
  it('aborts the service at the deadline and passes its rejection on as TIMEOUT', async () => {
    const clock = new ManualClock();
    const { svc, calls } = controllable(true);
    const call = pipeline(timeout({ totalMs: 50, clock }))(svc);
    const result = call(null, { clock }).catch((e) => e);
    await settle();
    await clock.advanceAsync(50);
    const error = await result;
    expect(error).toMatchObject({ code: 'TIMEOUT', kind: 'total', timeoutMs: 50 });
    expect(calls[0]!.ctx.cancellation.reason).toBe(error);
  });

  it('a caller abort wins, with the caller reason as the cause', async () => {
    const clock = new ManualClock();
    const { svc } = controllable(true);
    const controller = new AbortController();
    const call = pipeline(timeout({ totalMs: 50, clock }))(svc);
    const result = call(null, { clock, signal: controller.signal }).catch((e) => e);
    controller.abort('user left');
    expect(await result).toMatchObject({ code: 'CANCELLED', cause: 'user left' });
  });

  it('a value that arrives after the deadline is replaced by the TIMEOUT that decided the call', async () => {
    const clock = new ManualClock();
    // Marked, but answers with a value despite the abort: the deadline still decides.
    const calls: ((v: string) => void)[] = [];
    const svc = honoursCancellation<Service<unknown, string>>(
      () => new Promise<string>((resolve) => calls.push(resolve)),
    );
    const call = pipeline(timeout({ totalMs: 10, clock }))(svc);
    const result = call(null, { clock }).catch((e) => e);
    await clock.advanceAsync(10);
    calls[0]!('late');
    expect(await result).toMatchObject({ code: 'TIMEOUT' });
  });

  it('passes a value through untouched and leaves no timer or listener behind', async () => {
    const clock = new ManualClock();
    const { svc, calls } = controllable(true);
    const call = pipeline(timeout({ totalMs: 50, clock }))(svc);
    const result = call(null, { clock });
    await settle();
    calls[0]!.resolve('ok');
    expect(await result).toBe('ok');
    expect(schedulerFor(clock).size.entries).toBe(0);
    expect(calls[0]!.ctx.cancellation.listenerCount).toBe(0);
  });

  it('trusts the mark: it waits for the aborted service to reject instead of racing it', async () => {
    const clock = new ManualClock();
    // Marked, and slow to act on its abort: it rejects 5 ms after the deadline aborted it.
    const svc = honoursCancellation<Service<unknown, string>>(
      (_req, ctx) =>
        new Promise<string>((_resolve, reject) => {
          ctx.cancellation.add({
            onAbort: () => void clock.setTimeout(() => reject(abortError(ctx)), 5),
          });
        }),
    );
    const call = pipeline(timeout({ totalMs: 10, clock }))(svc);
    let settled = false;
    const result = call(null, { clock }).finally(() => (settled = true));
    result.catch(() => {});
    await clock.advanceAsync(10);
    expect(settled).toBe(false);
    await clock.advanceAsync(5);
    await expect(result).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('around an unmarked service, still settles at the deadline though the service never does', async () => {
    const clock = new ManualClock();
    const { svc } = controllable(false);
    const call = pipeline(timeout({ totalMs: 20, clock }))(svc);
    const result = call(null, { clock }).catch((e) => e);
    await clock.advanceAsync(20);
    expect(await result).toMatchObject({ code: 'TIMEOUT' });
  });
});

describe('the honours-cancellation mark through pipeline()', () => {
  const userPolicy: Policy = (next) => (req, ctx) => next(req, ctx);

  it('built-in policies keep the mark; a policy of the user does not', () => {
    const { svc } = controllable(true);
    const chain = pipeline(retry(), timeout({ perTryMs: 10 }), breaker(), bulkhead())(svc);
    expect(isCancellationHonoured(chain)).toBe(true);
    expect(isCancellationHonoured(pipeline(retry(), userPolicy)(svc))).toBe(false);
    expect(isCancellationHonoured(pipeline(retry())(controllable(false).svc))).toBe(false);
  });

  it('a deadline outside a user policy races, so a user policy that holds on still times out', async () => {
    const clock = new ManualClock();
    const { svc } = controllable(true);
    const holding: Policy =
      <Req, Res>(next: Service<Req, Res>): Service<Req, Res> =>
      (req, ctx) =>
        next(req, ctx).catch(() => new Promise<Res>(() => {}));
    const call = pipeline(timeout({ totalMs: 30, clock }), holding)(svc);
    const result = call(null, { clock }).catch((e) => e);
    await clock.advanceAsync(30);
    expect(await result).toMatchObject({ code: 'TIMEOUT' });
  });
});

describe('deadlines and retries settle through direct forms (decision 0041)', () => {
  const fastRetry = (clock: ManualClock) =>
    retry({ clock, backoff: { baseMs: 10, maxMs: 10, jitter: 'none' }, random: () => 0.5 });
  const direct = (answer: (ctx: CallContext, settler: Settler<string>) => void) =>
    honoursCancellation(
      directService<unknown, string>((_req, ctx, settler) => answer(ctx, settler)),
    );

  it('add no promise hop of their own, and leave nothing scheduled', async () => {
    const clock = new ManualClock();
    const svc = direct((_ctx, settler) => settler.settle(succeeded('ok')));
    const bare = await ticksToSettle(svc(null, CallContext.root({ clock })));
    const chain = pipeline(
      timeout({ totalMs: 1_000, clock }),
      fastRetry(clock),
      timeout({ perTryMs: 500, clock }),
      breaker({ clock }),
      bulkhead(),
    )(svc);
    expect(await ticksToSettle(chain(null, { clock }))).toBe(bare);
    // A promise-only policy in between costs its own reactions.
    const between: Policy = (next) => keepMark(next);
    const kept = pipeline(timeout({ totalMs: 1_000, clock }), between, fastRetry(clock))(svc);
    expect(await ticksToSettle(kept(null, { clock }))).toBeGreaterThan(bare);
    expect(schedulerFor(clock).size.entries).toBe(0);
  });

  it('an attempt that fails while the deadline aborts it still ends the call with TIMEOUT', async () => {
    const clock = new ManualClock();
    // Rejects inside the abort itself, with an error of its own (a socket torn down).
    const svc = direct((ctx, settler) =>
      ctx.cancellation.add({
        onAbort: () => settler.settle(failedWith(new Error('socket closed'))),
      }),
    );
    const call = pipeline(timeout({ totalMs: 30, clock }), fastRetry(clock))(svc);
    const result = call(null, { clock }).catch((e) => e);
    await clock.advanceAsync(30);
    expect(await result).toMatchObject({ code: 'TIMEOUT', kind: 'total' });
    expect(schedulerFor(clock).size.entries).toBe(0);
  });

  it("a retry never starts inside the failed attempt's own callback", async () => {
    const clock = new ManualClock();
    let inCallback = false;
    const startedInCallback: boolean[] = [];
    const svc = direct((_ctx, settler) => {
      startedInCallback.push(inCallback);
      if (startedInCallback.length > 1) return settler.settle(succeeded('ok'));
      inCallback = true;
      settler.settle(failedWith(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })));
      inCallback = false;
    });
    const call = pipeline(retry({ clock, backoff: { baseMs: 0, maxMs: 0 } }))(svc);
    await expect(call(null, { clock })).resolves.toBe('ok');
    expect(startedInCallback).toEqual([false, false]);
  });

  it('settles the deadline on every way out: failure, retries spent, a retry that succeeds', async () => {
    const clock = new ManualClock();
    let n = 0;
    const svc = honoursCancellation<Service<unknown, string>>(async () => {
      n++;
      if (n % 3 !== 0) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
      return 'ok';
    });
    const call = pipeline(timeout({ totalMs: 1_000, clock }), fastRetry(clock))(svc);
    const first = call(null, { clock });
    await clock.advanceAsync(100, 5);
    await expect(first).resolves.toBe('ok');
    const noRetry = pipeline(
      timeout({ totalMs: 1_000, clock }),
      retry({ clock, maxAttempts: 1 }),
    )(svc);
    await expect(noRetry(null, { clock })).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(schedulerFor(clock).size.entries).toBe(0);
  });

  it('still ends the call at the deadline while a retry hangs, with TIMEOUT', async () => {
    const clock = new ManualClock();
    let attempts = 0;
    const svc = honoursCancellation<Service<unknown, string>>(
      (_req, ctx) =>
        new Promise<string>((_resolve, reject) => {
          if (++attempts === 1) reject(Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
          else ctx.cancellation.add({ onAbort: () => reject(abortError(ctx)) });
        }),
    );
    const call = pipeline(timeout({ totalMs: 700, clock }), fastRetry(clock))(svc);
    const result = call(null, { clock }).catch((e) => e);
    await clock.advanceAsync(700, 50);
    expect(await result).toMatchObject({ code: 'TIMEOUT', kind: 'total' });
    expect(attempts).toBe(2);
    expect(schedulerFor(clock).size.entries).toBe(0);
  });

  it('a service that throws at once still rejects with its error, racing or passing', async () => {
    const clock = new ManualClock();
    const boom = (): Service<unknown, string> => () => {
      throw new Error('boom');
    };
    // Two services: marking one marks that function itself.
    for (const svc of [boom(), honoursCancellation(boom())]) {
      const alone = pipeline(timeout({ totalMs: 100, clock }))(svc);
      const retried = pipeline(
        timeout({ totalMs: 100, clock }),
        retry({ clock, maxAttempts: 1 }),
      )(svc);
      await expect(alone(null, { clock })).rejects.toThrow('boom');
      await expect(retried(null, { clock })).rejects.toThrow('boom');
    }
    expect(schedulerFor(clock).size.entries).toBe(0);
  });

  it('bounds two nested retries', async () => {
    const clock = new ManualClock();
    let attempts = 0;
    const svc = honoursCancellation<Service<unknown, string>>(async () => {
      attempts++;
      throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    });
    const call = pipeline(
      timeout({ totalMs: 100, clock }),
      fastRetry(clock),
      fastRetry(clock),
    )(svc);
    const result = call(null, { clock }).catch((e) => e);
    await clock.advanceAsync(1_000, 5);
    const error = await result;
    expect(['TIMEOUT', 'BUDGET_EXHAUSTED', 'ECONNRESET']).toContain(error.code);
    expect(attempts).toBeGreaterThan(1);
    expect(schedulerFor(clock).size.entries).toBe(0);
  });
});

/** A user policy that passes straight through and keeps the cancellation mark. */
function keepMark<Req, Res>(next: Service<Req, Res>): Service<Req, Res> {
  return honoursCancellation<Service<Req, Res>>((req, ctx) => next(req, ctx));
}
