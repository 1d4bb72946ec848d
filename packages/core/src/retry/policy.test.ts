import { describe, expect, it } from 'vitest';
import { RetryBudget } from '../budget/retry-budget.js';
import type { Classifier } from '../classify/classifier.js';
import { ATTEMPT_LOG, type AttemptLog } from '../context/attempt-log.js';
import { CallContext } from '../context/call-context.js';
import { CALL_OPTIONS } from '../context/call-options.js';
import { endpoint } from '../discovery/endpoint.js';
import { EventBus } from '../events/events.js';
import { pipeline } from '../service/pipeline.js';
import { ManualClock, settle } from '../time/manual-clock.js';
import { timeout } from '../timeout/policy.js';
import { retry } from './policy.js';

const reset = () => Object.assign(new Error('reset'), { code: 'ECONNRESET' });
const refused = () => Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });

/** Results are `{ status, retryAfterMs? }`; 503 is retryable. */
type Res = { status: number; retryAfterMs?: number };
const statusClassifier: Classifier<Res> = {
  classifyResult: (r) => (r.status === 503 ? 'retryable' : r.status >= 500 ? 'failure' : 'success'),
  classifyError: (e) => ((e as { code?: string }).code === 'ECONNREFUSED' ? 'unsent' : 'retryable'),
  retryAfterMs: (r) => r?.retryAfterMs,
};

function recorder(events: EventBus) {
  const seen: string[] = [];
  events.on('retry.scheduled', (e) =>
    seen.push(`scheduled#${e.attempt}${e.requeue ? ' requeue' : ''} ${Math.round(e.delayMs)}ms`),
  );
  events.on('retry.gave_up', (e) => seen.push(`gave_up ${e.reason} after ${e.attempts}`));
  events.on('budget.exhausted', (e) => seen.push(`budget.exhausted ${e.purpose}`));
  return seen;
}

describe('retry()', () => {
  it('retries a retryable failure of an idempotent call with exponential backoff, then succeeds', async () => {
    const clock = new ManualClock();
    const events = new EventBus();
    const seen = recorder(events);
    let calls = 0;
    const attemptsSeen: number[] = [];
    const svc = pipeline(
      retry({ clock, events, maxAttempts: 3, backoff: { baseMs: 10, maxMs: 100, jitter: 'none' } }),
    )(async (_: null, ctx) => {
      attemptsSeen.push(ctx.attempt);
      if (++calls < 3) throw reset();
      return 'ok';
    });
    const result = svc(null, { clock });
    await clock.advanceAsync(9);
    expect(calls).toBe(1);
    await clock.advanceAsync(1);
    expect(calls).toBe(2);
    await clock.advanceAsync(20);
    await expect(result).resolves.toBe('ok');
    expect(attemptsSeen).toEqual([1, 2, 3]);
    expect(seen).toEqual(['scheduled#2 10ms', 'scheduled#3 20ms']);
  });

  it('gives up after maxAttempts, rethrowing the last error', async () => {
    const clock = new ManualClock();
    const events = new EventBus();
    const seen = recorder(events);
    let calls = 0;
    const svc = pipeline(
      retry({ clock, events, maxAttempts: 2, backoff: { baseMs: 1, maxMs: 1, jitter: 'none' } }),
    )(async () => {
      calls++;
      throw reset();
    });
    const result = svc(null, { clock }).catch((e) => e);
    await clock.advanceAsync(10);
    expect(await result).toMatchObject({ code: 'ECONNRESET' });
    expect(calls).toBe(2);
    expect(seen).toEqual(['scheduled#2 1ms', 'gave_up attempts after 2']);
  });

  it('returns the last retryable result once retries are spent, discarding the earlier ones', async () => {
    const clock = new ManualClock();
    const discarded: Res[] = [];
    let n = 0;
    const classifier = { ...statusClassifier, discard: (r: Res) => discarded.push(r) };
    const svc = pipeline(
      retry({
        clock,
        classifier,
        maxAttempts: 3,
        backoff: { baseMs: 1, maxMs: 1, jitter: 'none' },
      }),
    )(async (): Promise<Res & { n: number }> => ({ status: 503, n: ++n }));
    const result = svc(null, { clock });
    await clock.advanceAsync(10);
    await expect(result).resolves.toEqual({ status: 503, n: 3 });
    expect(discarded).toEqual([
      { status: 503, n: 1 },
      { status: 503, n: 2 },
    ]);
  });

  it('does not retry a non-idempotent call, but requeues one that never reached a server', async () => {
    const clock = new ManualClock();
    const events = new EventBus();
    const seen = recorder(events);
    let calls = 0;
    const post = pipeline(retry({ clock, events, classifier: statusClassifier }))(
      async (): Promise<Res> => {
        calls++;
        return { status: 503 };
      },
    );
    await expect(post(null, { clock, idempotent: false })).resolves.toEqual({ status: 503 });
    expect(calls).toBe(1);

    let tries = 0;
    const attempts: number[] = [];
    const requeued = pipeline(
      retry({
        clock,
        events,
        classifier: statusClassifier,
        maxAttempts: 1,
        endpointCount: () => 3,
      }),
    )(async (_: null, ctx): Promise<Res> => {
      attempts.push(ctx.attempt);
      ctx.get(ATTEMPT_LOG)!.record(endpoint({ host: '10.0.0.1', port: ctx.attempt }));
      if (++tries < 3) throw refused();
      return { status: 200 };
    });
    await expect(requeued(null, { clock, idempotent: false })).resolves.toEqual({ status: 200 });
    expect(attempts).toEqual([1, 2, 3]);
    expect(seen).toEqual(['scheduled#2 requeue 0ms', 'scheduled#3 requeue 0ms']);
  });

  it('shares one attempt log across attempts, so the balancer can pick another endpoint', async () => {
    const clock = new ManualClock();
    const logs: AttemptLog[] = [];
    const svc = pipeline(retry({ clock, backoff: { baseMs: 1, maxMs: 1, jitter: 'none' } }))(
      async (_: null, ctx) => {
        const log = ctx.get(ATTEMPT_LOG)!;
        logs.push(log);
        log.record(endpoint({ host: '10.0.0.1', port: ctx.attempt }));
        if (ctx.attempt < 2) throw reset();
        return log.endpoints!.map((e) => e.port);
      },
    );
    const result = svc(null, { clock });
    await clock.advanceAsync(5);
    await expect(result).resolves.toEqual([1, 2]);
    expect(logs[0]).toBe(logs[1]);
  });

  it('honours Retry-After, and gives up at once when it is longer than the deadline or the cap', async () => {
    const clock = new ManualClock();
    const events = new EventBus();
    const seen = recorder(events);
    const hints = [40, 5_000];
    let calls = 0;
    const svc = pipeline(
      timeout({ totalMs: 1_000, clock }),
      retry({ clock, events, classifier: statusClassifier }),
    )(async (): Promise<Res> => {
      calls++;
      return { status: 503, retryAfterMs: hints.shift()! };
    });
    const result = svc(null, { clock });
    await clock.advanceAsync(39);
    expect(calls).toBe(1);
    await clock.advanceAsync(1);
    expect(calls).toBe(2);
    await expect(result).resolves.toMatchObject({ status: 503, retryAfterMs: 5_000 });
    expect(clock.now()).toBe(40);
    expect(seen).toEqual(['scheduled#2 40ms', 'gave_up deadline after 2']);

    const capped = pipeline(
      retry({ clock, events, classifier: statusClassifier, retryAfterMaxMs: 100 }),
    )(async (): Promise<Res> => ({ status: 503, retryAfterMs: 200 }));
    await expect(capped(null, { clock })).resolves.toMatchObject({ status: 503 });
    expect(seen.at(-1)).toBe('gave_up retry_after after 1');
  });

  it('never sleeps past the deadline: gives up when the backoff would outlive it', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const svc = pipeline(retry({ clock, backoff: { baseMs: 500, maxMs: 500, jitter: 'none' } }))(
      async () => {
        calls++;
        throw reset();
      },
    );
    const result = svc(null, CallContext.root({ clock, timeoutMs: 300 })).catch((e) => e);
    await settle();
    expect(await result).toMatchObject({ code: 'ECONNRESET' });
    expect(calls).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a caller abort during the backoff sleep rejects at once and clears the timer', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    let calls = 0;
    const svc = pipeline(
      retry({ clock, backoff: { baseMs: 1_000, maxMs: 1_000, jitter: 'none' } }),
    )(async () => {
      calls++;
      throw reset();
    });
    const result = svc(null, { clock, signal: controller.signal }).catch((e) => e);
    await settle();
    expect(clock.pendingTimers).toBe(1);
    controller.abort(new Error('user left'));
    expect(await result).toMatchObject({ code: 'CANCELLED' });
    expect(clock.pendingTimers).toBe(0);
    expect(calls).toBe(1);
  });

  it('a per-call retry: false makes one attempt', async () => {
    let calls = 0;
    const svc = pipeline(retry())(async () => {
      calls++;
      throw reset();
    });
    await expect(
      svc(null, CallContext.root().with(CALL_OPTIONS, { retry: false })),
    ).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(calls).toBe(1);
  });

  it('refuses a retry when the budget is spent, with BUDGET_EXHAUSTED carrying the failure', async () => {
    const clock = new ManualClock();
    const events = new EventBus();
    const seen = recorder(events);
    const budget = new RetryBudget({ ratio: 0, minPerSecond: 0, clock });
    const svc = pipeline(retry({ clock, events, budget }))(async () => {
      throw reset();
    });
    const error = await svc(null, { clock }).catch((e) => e);
    expect(error).toMatchObject({ code: 'BUDGET_EXHAUSTED' });
    expect(error.cause).toMatchObject({ code: 'ECONNRESET' });
    expect(seen).toEqual(['budget.exhausted retry', 'gave_up budget after 1']);
  });

  it('the budget floor lets a low-rate client retry', async () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ ratio: 0.2, minPerSecond: 10, clock });
    const svc = pipeline(
      retry({ clock, budget, backoff: { baseMs: 1, maxMs: 1, jitter: 'none' } }),
    )(async (_: null, ctx) => {
      if (ctx.attempt === 1) throw reset();
      return ctx.attempt;
    });
    for (let i = 0; i < 5; i++) {
      const result = svc(null, { clock });
      await clock.advanceAsync(10_000);
      await expect(result).resolves.toBe(2);
    }
  });

  it('in a total outage at 1,000 calls/s for 10 s, attempts per call stay at 1 + ratio', async () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ ratio: 0.2, minPerSecond: 10, clock });
    let attempts = 0;
    let calls = 0;
    const svc = pipeline(retry({ clock, budget, random: () => 0.5 }))(async () => {
      attempts++;
      throw reset();
    });
    const results: Promise<unknown>[] = [];
    for (let ms = 0; ms < 10_000; ms++) {
      results.push(svc(null, { clock }).catch(() => undefined));
      calls++;
      clock.advance(1);
      if (ms % 50 === 0) await settle(2);
    }
    await clock.advanceAsync(1_000);
    await Promise.all(results);
    const perCall = attempts / calls;
    // 1 + 0.2 + the floor's 100 retries spread over 10,000 calls
    expect(perCall).toBeGreaterThan(1.15);
    expect(perCall).toBeLessThanOrEqual(1.22);
  });

  it('rejects bad options, naming them', () => {
    expect(() => retry({ maxAttempts: 0 })).toThrow(
      /retry\(\) maxAttempts=0 is not valid: expected an integer from 1 to 10/,
    );
    expect(() => retry({ backoff: { baseMs: 100, maxMs: 10 } })).toThrow(/backoff\.maxMs=10/);
  });
});
