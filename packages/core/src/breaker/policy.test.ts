import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Classifier } from '../classify/classifier.js';
import { abortError } from '../context/abort-error.js';
import { CallContext } from '../context/call-context.js';
import { countingAbortControllers } from '../context/test-support/abort-controllers.js';
import { CircuitOpenError, TimeoutError } from '../errors/errors.js';
import { EventBus, type EventName } from '../events/events.js';
import { ManualClock } from '../time/manual-clock.js';
import { type BreakerPolicyOptions, breaker } from './index.js';

const NAMES: EventName[] = [
  'breaker.opened',
  'breaker.half_opened',
  'breaker.closed',
  'breaker.rejected',
];

function setup(extra: BreakerPolicyOptions = {}) {
  const clock = new ManualClock(0);
  const events = new EventBus();
  const seen: string[] = [];
  for (const name of NAMES) events.on(name, () => seen.push(name));
  const policy = breaker({
    service: 'payments',
    volumeThreshold: 2,
    resetTimeoutMs: 1_000,
    clock,
    events,
    ...extra,
  });
  let calls = 0;
  let fail = true;
  const svc = policy(async (req: number) => {
    calls++;
    if (fail) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    return req;
  });
  const ctx = () => CallContext.root({ clock });
  return {
    clock,
    seen,
    policy,
    svc,
    ctx,
    calls: () => calls,
    heal: () => {
      fail = false;
    },
  };
}

afterEach(() => vi.restoreAllMocks());

describe('breaker()', () => {
  it('opens, rejects fast without calling through, half-opens after the reset time, closes on success', async () => {
    const { svc, ctx, clock, seen, calls, heal, policy } = setup();
    await expect(svc(1, ctx())).rejects.toThrow('reset');
    await expect(svc(2, ctx())).rejects.toThrow('reset');
    expect(policy.circuit.state).toBe('open');

    const error = await svc(3, ctx()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error).toMatchObject({ code: 'CIRCUIT_OPEN', retryInMs: 1_000 });
    expect((error as Error).message).toMatch(/^payments: circuit open/);
    expect(calls()).toBe(2);

    clock.advance(1_000);
    heal();
    await expect(svc(4, ctx())).resolves.toBe(4);
    expect(policy.circuit.state).toBe('closed');
    expect(calls()).toBe(3);
    expect(seen).toEqual([
      'breaker.opened',
      'breaker.rejected',
      'breaker.half_opened',
      'breaker.closed',
    ]);
  });

  it('refuses an open circuit in microseconds', async () => {
    const { svc, ctx } = setup();
    await svc(1, ctx()).catch(() => {});
    await svc(2, ctx()).catch(() => {});
    const c = ctx();
    // The fastest of several batches, alternating with a batch of bare rejections of an Error:
    // a batch that met a GC pause or a busy core says nothing about the refusal path, and a
    // machine loaded by other test files slows both alike. A slow refusal slows every batch.
    const batch = 400;
    const fastestOf = async (run: (i: number) => Promise<unknown>, fastest: number) => {
      const started = performance.now();
      for (let i = 0; i < batch; i++) await run(i).catch(() => {});
      return Math.min(fastest, ((performance.now() - started) * 1_000) / batch);
    };
    let fastest = Number.POSITIVE_INFINITY;
    let bare = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 8; round++) {
      bare = await fastestOf(() => Promise.reject(new Error('bare')), bare);
      fastest = await fastestOf((i) => svc(i, c), fastest);
    }
    // ~2 µs measured against ~1 µs bare; a refusal that waited for a timer or called the
    // service would take a millisecond or more.
    expect(fastest).toBeLessThan(Math.max(50, 20 * bare));
  });

  it('lets only one trial through while half-open', async () => {
    const { svc, ctx, clock, calls } = setup();
    await svc(1, ctx()).catch(() => {});
    await svc(2, ctx()).catch(() => {});
    clock.advance(1_000);
    const trial = svc(3, ctx());
    const refused = await svc(4, ctx()).catch((e: CircuitOpenError) => e);
    expect(refused).toMatchObject({ code: 'CIRCUIT_OPEN', retryInMs: undefined });
    expect((refused as Error).message).not.toMatch(/trial call will be let through/);
    await expect(trial).rejects.toThrow('reset');
    expect(calls()).toBe(3);
  });

  it('judges resolved results through the classifier', async () => {
    const clock = new ManualClock();
    const classifier: Classifier<number> = {
      classifyResult: (status) => (status >= 500 ? 'retryable' : 'success'),
      classifyError: () => 'failure',
    };
    const policy = breaker({ volumeThreshold: 2, clock, classifier: classifier as Classifier });
    const svc = policy(async (status: number) => status);
    await expect(svc(503, CallContext.root({ clock }))).resolves.toBe(503);
    await expect(svc(404, CallContext.root({ clock }))).resolves.toBe(404);
    expect(policy.circuit.state).toBe('closed');
    await svc(503, CallContext.root({ clock }));
    expect(policy.circuit.state).toBe('open');
  });

  it("one call's timeout does not abort a concurrent call on the same breaker", async () => {
    const clock = new ManualClock();
    const policy = breaker({ clock });
    let release!: () => void;
    const svc = policy(
      (name: string, ctx) =>
        new Promise<string>((resolve, reject) => {
          ctx.cancellation.add({ onAbort: () => reject(abortError(ctx)) });
          if (name === 'b') release = () => resolve(name);
        }),
    );
    const a = CallContext.root({ clock });
    const b = CallContext.root({ clock });
    const callA = svc('a', a);
    const callB = svc('b', b);
    a.cancellation.abort(new TimeoutError({ service: 's', timeoutMs: 100, kind: 'per-try' }));
    await expect(callA).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(b.aborted).toBe(false);
    release();
    await expect(callB).resolves.toBe('b');
    expect([policy.circuit.failures, policy.circuit.calls]).toEqual([1, 2]);
  });

  it('creates no AbortController on any path', async () => {
    await countingAbortControllers(async (created) => {
      const { svc, ctx, clock, heal } = setup();
      for (let i = 0; i < 5; i++) await svc(i, ctx()).catch(() => {});
      clock.advance(1_000);
      heal();
      await svc(9, ctx());
      expect(created()).toBe(0);
    });
  });

  it('a throwing event listener never fails the call', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const events = new EventBus();
    const policy = breaker({ volumeThreshold: 1, events });
    events.on('breaker.opened', () => {
      throw new Error('listener bug');
    });
    const svc = policy(async () => {
      throw new Error('down');
    });
    await expect(svc(1, CallContext.root())).rejects.toThrow('down');
    expect(policy.circuit.state).toBe('open');
    expect(policy.policyName).toBe('breaker');
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/listener bug/), expect.anything());
  });

  it('leaves no timers or listeners after 100k calls', async () => {
    const clock = new ManualClock();
    const events = new EventBus();
    let transitions = 0;
    events.on('breaker.opened', () => transitions++);
    const policy = breaker({
      volumeThreshold: 20,
      errorThresholdPercent: 10,
      resetTimeoutMs: 10,
      rollingWindowMs: 100,
      clock,
      events,
    });
    // Failing in alternate phases of 500 calls, so the circuit goes through open, half-open and
    // closed again and again.
    const svc = policy(async (i: number) => {
      if (Math.floor(i / 500) % 2 === 0) throw new Error('down');
      return i;
    });
    let listeners = 0;
    for (let i = 0; i < 100_000; i++) {
      if (i % 100 === 0) clock.advance(11);
      const ctx = CallContext.root({ clock });
      await svc(i, ctx).catch(() => {});
      listeners += ctx.cancellation.listenerCount;
    }
    expect(transitions).toBeGreaterThanOrEqual(100);
    expect(listeners).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });
});
