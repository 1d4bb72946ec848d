import { describe, expect, it } from 'vitest';
import { ManualClock } from '../time/manual-clock.js';
import { RetryBudget } from './retry-budget.js';

describe('RetryBudget', () => {
  it('allows ratio × requests plus the per-second floor over the window, then refuses', () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ ratio: 0.2, minPerSecond: 1, ttlMs: 10_000, clock });
    for (let i = 0; i < 100; i++) budget.deposit();
    let granted = 0;
    while (budget.tryWithdraw()) granted++;
    // 100 × 0.2 + 1/s × 10 s
    expect(granted).toBe(30);
  });

  it('the floor lets a low-rate client retry with no traffic at all', () => {
    const budget = new RetryBudget({ minPerSecond: 10, clock: new ManualClock() });
    let granted = 0;
    while (budget.tryWithdraw()) granted++;
    expect(granted).toBe(100);
  });

  it('deposits and withdrawals expire after the TTL, so the budget refills', () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ ratio: 0.5, minPerSecond: 0, ttlMs: 1_000, clock });
    for (let i = 0; i < 10; i++) budget.deposit();
    expect(budget.balance).toBeCloseTo(5);
    while (budget.tryWithdraw());
    expect(budget.tryWithdraw()).toBe(false);
    clock.advance(1_000);
    expect(budget.balance).toBeCloseTo(0);
    budget.deposit();
    budget.deposit();
    expect(budget.tryWithdraw()).toBe(true);
  });

  it('a ratio of 0 with no floor never allows a retry', () => {
    const budget = new RetryBudget({ ratio: 0, minPerSecond: 0, clock: new ManualClock() });
    for (let i = 0; i < 1_000; i++) budget.deposit();
    expect(budget.tryWithdraw()).toBe(false);
  });

  it('rejects bad options with CONFIG_INVALID', () => {
    expect(() => new RetryBudget({ ratio: 3 })).toThrow(
      /retry budget ratio=3 is not valid: expected a number from 0 to 1/,
    );
    expect(() => new RetryBudget({ ttlMs: 10 })).toThrow(/ttlMs=10/);
  });
});
