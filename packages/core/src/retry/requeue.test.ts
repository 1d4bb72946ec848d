import { describe, expect, it } from 'vitest';
import { RetryBudget } from '../budget/retry-budget.js';
import { ATTEMPT_LOG } from '../context/attempt-log.js';
import type { CallContext } from '../context/call-context.js';
import { endpoint } from '../discovery/endpoint.js';
import { EventBus } from '../events/events.js';
import { pipeline } from '../service/pipeline.js';
import { ManualClock } from '../time/manual-clock.js';
import type { RetryPolicyOptions } from './options.js';
import { retry } from './policy.js';
import { requeueBound, untriedLeft } from './requeue.js';

const refused = () => Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });

/**
 * A fleet whose every port refuses, picked the way the balancer picks: an endpoint this call
 * has not tried while one is `eligible`, else the first (recorded on the attempt log either way).
 * Remembers when each attempt went where.
 */
function deadFleet(clock: ManualClock, eligible: number) {
  const sent: string[] = [];
  const service = async (_: null, ctx: CallContext): Promise<never> => {
    // No log when retry has nothing to retry with (its one-attempt fast path).
    const log = ctx.get(ATTEMPT_LOG);
    const tried = new Set((log?.endpoints ?? []).map((e) => e.port));
    let port = 1;
    for (let p = 1; p <= eligible; p++) {
      if (!tried.has(p)) {
        port = p;
        break;
      }
    }
    log?.record(endpoint({ host: '10.0.0.1', port }));
    sent.push(`t=${clock.now()} :${port}`);
    throw refused();
  };
  return { sent, service };
}

function run(options: RetryPolicyOptions, eligible: number, idempotent = true) {
  const clock = new ManualClock();
  const events = new EventBus();
  const seen: string[] = [];
  events.on('retry.scheduled', (e) =>
    seen.push(`#${e.attempt} ${e.requeue ? 'requeue' : 'retry'} ${e.delayMs}ms`),
  );
  events.on('retry.gave_up', (e) => seen.push(`gave_up ${e.reason} after ${e.attempts}`));
  events.on('budget.exhausted', (e) => seen.push(`budget.exhausted ${e.purpose}`));
  const fleet = deadFleet(clock, eligible);
  const svc = pipeline(
    retry({ clock, events, backoff: { baseMs: 10, maxMs: 1_000, jitter: 'none' }, ...options }),
  )(fleet.service);
  const result = svc(null, { clock, idempotent }).catch((e: unknown) => e);
  return { clock, seen, sent: fleet.sent, result };
}

describe('requeues of never-sent attempts', () => {
  it('maxAttempts 1 against 3 dead endpoints: one pass (each endpoint once, at once), then gives up', async () => {
    const { clock, seen, sent, result } = run({ maxAttempts: 1, endpointCount: () => 3 }, 3, false);
    await clock.advanceAsync(10_000);
    expect(await result).toMatchObject({ code: 'ECONNREFUSED' });
    expect(sent).toEqual(['t=0 :1', 't=0 :2', 't=0 :3']);
    expect(seen).toEqual(['#2 requeue 0ms', '#3 requeue 0ms', 'gave_up attempts after 3']);
  });

  it('default maxAttempts 3: the pass, then the remaining attempts after backoffs (total 3 + 2)', async () => {
    const { clock, seen, sent, result } = run({ endpointCount: () => 3 }, 3);
    await clock.advanceAsync(10_000);
    expect(await result).toMatchObject({ code: 'ECONNREFUSED' });
    expect(sent).toEqual(['t=0 :1', 't=0 :2', 't=0 :3', 't=10 :1', 't=30 :1']);
    expect(seen).toEqual([
      '#2 requeue 0ms',
      '#3 requeue 0ms',
      '#4 retry 10ms',
      '#5 retry 20ms',
      'gave_up attempts after 5',
    ]);
  });

  it('a non-idempotent call gets the same bound: past the pass, never-sent attempts count as attempts', async () => {
    const { clock, sent, result } = run({ maxAttempts: 2, endpointCount: () => 2 }, 2, false);
    await clock.advanceAsync(10_000);
    expect(await result).toMatchObject({ code: 'ECONNREFUSED' });
    expect(sent).toEqual(['t=0 :1', 't=0 :2', 't=10 :1']);
  });

  it('never spins at 0 ms: requeues past the pass, or after a repeated endpoint, wait a backoff', async () => {
    // More requeues than endpoints: the one to the untried endpoint goes at once, the rest wait.
    const many = run({ maxAttempts: 1, maxRequeues: 4, endpointCount: () => 2 }, 2);
    await many.clock.advanceAsync(10_000);
    expect(many.sent).toEqual(['t=0 :1', 't=0 :2', 't=10 :1', 't=30 :1', 't=70 :1']);
    expect(many.seen.slice(0, 4)).toEqual([
      '#2 requeue 0ms',
      '#3 requeue 10ms',
      '#4 requeue 20ms',
      '#5 requeue 40ms',
    ]);

    // 3 endpoints known, but only one eligible (a routed subset, ejections): the balancer had to
    // repeat it once, and from then on requeues wait.
    const narrow = run({ maxAttempts: 1, maxRequeues: 3, endpointCount: () => 3 }, 1);
    await narrow.clock.advanceAsync(10_000);
    expect(narrow.sent).toEqual(['t=0 :1', 't=0 :1', 't=10 :1', 't=30 :1']);
  });

  it('requeues draw on the shared budget, and stop with BUDGET_EXHAUSTED when it is spent', async () => {
    const clock = new ManualClock();
    // No ratio, and a floor of exactly one token over the 10 s window.
    const budget = new RetryBudget({ ratio: 0, minPerSecond: 0.1, clock });
    const { seen, sent, result } = run({ maxAttempts: 1, endpointCount: () => 3, budget }, 3);
    await clock.advanceAsync(1);
    const error = (await result) as Error;
    expect(error).toMatchObject({ code: 'BUDGET_EXHAUSTED' });
    expect(error.cause).toMatchObject({ code: 'ECONNREFUSED' });
    expect(sent).toHaveLength(2);
    expect(seen).toEqual(['#2 requeue 0ms', 'budget.exhausted requeue', 'gave_up budget after 2']);
    expect(budget.tryWithdraw()).toBe(false);
  });

  it('maxRequeues: 0 and maxAttempts 1 make one attempt; with no endpoint count, requeues default to 0', async () => {
    const none = run({ maxAttempts: 1, maxRequeues: 0, endpointCount: () => 3 }, 3);
    await none.clock.advanceAsync(1_000);
    expect(none.sent).toEqual(['t=0 :1']);

    const standalone = run({ maxAttempts: 1 }, 3);
    await standalone.clock.advanceAsync(1_000);
    expect(standalone.sent).toEqual(['t=0 :1']);
  });
});

describe('requeueBound / untriedLeft', () => {
  it('defaults to one pass over the endpoints, at most 3; an explicit bound wins', () => {
    expect([0, 1, 2, 3, 4, 50].map((n) => requeueBound(undefined, n))).toEqual([0, 0, 1, 2, 3, 3]);
    expect(requeueBound(undefined, undefined)).toBe(0);
    expect(requeueBound(7, 2)).toBe(7);
  });

  it('an untried endpoint is left while every pick was distinct and fewer than the endpoints', () => {
    const e = (port: number) => endpoint({ host: 'h', port });
    expect(untriedLeft([e(1)], 2)).toBe(true);
    expect(untriedLeft([e(1), e(2)], 2)).toBe(false);
    expect(untriedLeft([e(1), e(1)], 3)).toBe(false);
    expect(untriedLeft(undefined, 3)).toBe(false);
    expect(untriedLeft([e(1)], undefined)).toBe(false);
  });
});
