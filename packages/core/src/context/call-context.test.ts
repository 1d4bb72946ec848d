import { describe, expect, it } from 'vitest';
import { endpoint } from '../discovery/endpoint.js';
import { systemClock } from '../time/clock.js';
import { ManualClock } from '../time/manual-clock.js';
import { CallContext } from './call-context.js';
import { NEVER_CANCELLED } from './cancellation.js';
import { contextKey } from './context-key.js';
import { runWithInbound } from './inbound-scope.js';
import { countingAbortControllers } from './test-support/abort-controllers.js';

describe('CallContext deadlines', () => {
  it('derives a shorter deadline from a timeout', () => {
    const clock = new ManualClock(1_000);
    const root = CallContext.root({ clock, timeoutMs: 500 });
    expect(root.deadline).toBe(1_500);
    expect(root.withTimeout(100).deadline).toBe(1_100);
  });

  it('never extends: a longer inner timeout keeps the outer deadline', () => {
    const clock = new ManualClock(0);
    const root = CallContext.root({ clock, deadline: 200 });
    const inner = root.withTimeout(10_000);
    expect(inner.deadline).toBe(200);
    expect(inner).toBe(root);
    expect(root.withDeadline(300).deadline).toBe(200);
    expect(root.withDeadline(Number.NaN).deadline).toBe(200);
  });

  it('takes the earlier of deadline and timeoutMs at the root', () => {
    const clock = new ManualClock(0);
    expect(CallContext.root({ clock, deadline: 50, timeoutMs: 80 }).deadline).toBe(50);
    expect(CallContext.root({ clock, deadline: 90, timeoutMs: 80 }).deadline).toBe(80);
  });

  it('chains of derivations only shrink', () => {
    const clock = new ManualClock(0);
    let ctx = CallContext.root({ clock, timeoutMs: 1_000 });
    for (const ms of [800, 900, 300, 5_000, 400]) {
      const before = ctx.deadline;
      ctx = ctx.withTimeout(ms);
      expect(ctx.deadline).toBeLessThanOrEqual(before);
    }
    expect(ctx.deadline).toBe(300);
  });

  it('reports remaining time on its clock', () => {
    const clock = new ManualClock(0);
    const ctx = CallContext.root({ clock, timeoutMs: 100 });
    clock.advance(30);
    expect(ctx.remainingMs()).toBe(70);
    clock.advance(100);
    expect(ctx.remainingMs()).toBe(-30);
  });

  it('is capped by the inbound request deadline in scope, which nesting can only shrink', () => {
    const now = systemClock.now();
    runWithInbound({ deadline: now + 100 }, () => {
      expect(CallContext.root({ timeoutMs: 10_000 }).deadline).toBe(now + 100);
      expect(CallContext.root({ timeoutMs: 50 }).deadline).toBeLessThan(now + 100);
      runWithInbound({ deadline: now + 5_000 }, () => {
        expect(CallContext.root().deadline).toBe(now + 100);
      });
    });
    expect(CallContext.root().deadline).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('CallContext roots', () => {
  it('root() gives the caller a token of its own to abort', () => {
    const a = CallContext.root();
    expect(a.cancellation).not.toBe(CallContext.root().cancellation);
    a.cancellation.abort('stop');
    expect(a.aborted).toBe(true);
  });

  it('entry() without a signal shares the never-aborting token and sets its one value', () => {
    const key = contextKey<string>('test.entry');
    const ctx = CallContext.entry({ service: 'svc' }, key, 'v');
    expect(ctx.cancellation).toBe(NEVER_CANCELLED);
    expect(ctx.get(key)).toBe('v');
    expect(ctx.service).toBe('svc');
  });

  it('entry() with a signal adopts it', () => {
    const controller = new AbortController();
    const ctx = CallContext.entry({ signal: controller.signal });
    controller.abort('bye');
    expect(ctx.aborted).toBe(true);
    expect(ctx.cancellation.reason).toBe('bye');
  });
});

describe('CallContext values', () => {
  it('is immutable: derivations leave the parent untouched', () => {
    const root = CallContext.root({ service: 'payments', operation: 'GET /charges' });
    const e = endpoint({ host: '10.0.0.5', port: 8080 });
    const child = root.withAttempt(2).withEndpoint(e);
    expect(child.attempt).toBe(2);
    expect(child.endpoint?.id).toBe('10.0.0.5:8080');
    expect(root.attempt).toBe(0);
    expect(root.endpoint).toBeUndefined();
    expect(child.service).toBe('payments');
    expect(child.operation).toBe('GET /charges');
    expect(Object.isFrozen(e)).toBe(true);
  });

  it('carries typed extension values, innermost binding first', () => {
    const hashKey = contextKey<string>('hashKey');
    const other = contextKey<number>('other');
    const ctx = CallContext.root().with(hashKey, 'user-1');
    expect(ctx.get(hashKey)).toBe('user-1');
    expect(ctx.get(other)).toBeUndefined();
    expect(ctx.with(hashKey, 'user-2').get(hashKey)).toBe('user-2');
    expect(ctx.get(hashKey)).toBe('user-1');
  });

  it('creates no AbortController unless the signal is read', async () => {
    await countingAbortControllers((created) => {
      const ctx = CallContext.root().withTimeout(100).withAttempt(1);
      ctx.cancellation.abort(new Error('x'));
      expect(created()).toBe(0);
      expect(ctx.signal.aborted).toBe(true);
      expect(created()).toBe(1);
    });
  });
});
