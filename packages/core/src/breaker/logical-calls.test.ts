import { describe, expect, it } from 'vitest';
import { RetryBudget } from '../budget/retry-budget.js';
import type { CallContext } from '../context/call-context.js';
import { retry } from '../retry/policy.js';
import { pipeline } from '../service/pipeline.js';
import { ManualClock } from '../time/manual-clock.js';
import { breaker } from './policy.js';

const reset = () => Object.assign(new Error('reset'), { code: 'ECONNRESET' });

function setup(clock: ManualClock) {
  const b = breaker({ volumeThreshold: 4, errorThresholdPercent: 50, clock });
  const r = retry({
    clock,
    budget: new RetryBudget({ clock }),
    backoff: { baseMs: 1, maxMs: 1, jitter: 'none' },
  });
  return { b, r };
}

describe('breaker() under retry judges logical calls, not attempts', () => {
  it('a failed attempt made good by a retry counts as one success', async () => {
    const clock = new ManualClock();
    const { b, r } = setup(clock);
    const call = pipeline(
      r,
      b,
    )(async (_: null, ctx: CallContext) => {
      if (ctx.attempt === 1) throw reset();
      return 'ok';
    });
    for (let i = 0; i < 10; i++) {
      const result = call(null, { clock });
      await clock.advanceAsync(5);
      await expect(result).resolves.toBe('ok');
    }
    expect(b.circuit.state).toBe('closed');
    expect(b.circuit.failures).toBe(0);
    expect(b.circuit.calls).toBe(10);
  });

  it('a call that fails on every attempt counts once, and a dead service still opens the circuit', async () => {
    const clock = new ManualClock();
    const { b, r } = setup(clock);
    let attempts = 0;
    const call = pipeline(
      r,
      b,
    )(async () => {
      attempts++;
      throw reset();
    });
    for (let i = 0; i < 3; i++) {
      const result = call(null, { clock }).catch((e) => e.code);
      await clock.advanceAsync(5);
      expect(await result).toBe('ECONNRESET');
    }
    expect(attempts).toBe(9);
    expect([b.circuit.failures, b.circuit.calls, b.circuit.state]).toEqual([3, 3, 'closed']);
    const fourth = call(null, { clock }).catch((e) => e.code);
    await clock.advanceAsync(5);
    expect(await fourth).toBe('ECONNRESET');
    expect(b.circuit.state).toBe('open');
    await expect(call(null, { clock })).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
  });

  it('without a retry outside, every attempt is a call and counts at once', async () => {
    const clock = new ManualClock();
    const b = breaker({ volumeThreshold: 2, errorThresholdPercent: 50, clock });
    const call = pipeline(b)(async () => {
      throw reset();
    });
    await expect(call(null, { clock })).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(b.circuit.failures).toBe(1);
  });
});
