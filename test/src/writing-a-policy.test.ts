/**
 * The worked example of docs/writing-a-policy.md: a user's policy, written only against
 * `Service`, `Policy` and `CallContext`, composed with the default chain on virtual time.
 */
import {
  buildChain,
  type CallContext,
  ManualClock,
  OutriggerError,
  type Policy,
  pipeline,
  type Service,
} from '@outrigger/core';
import { afterEach, describe, expect, it } from 'vitest';
import { shedWhenLate, TooLateError } from '../../examples/src/policies/shed-when-late.js';

const clock = new ManualClock();
const chains: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(chains.splice(0).map((c) => c.close()));
});

/** A transport that answers `answer` for each attempt and remembers the contexts it saw. */
function recordingTransport(answer: (ctx: CallContext) => Promise<string>) {
  const seen: CallContext[] = [];
  const transport: Service<string, string> = (_req, ctx) => {
    seen.push(ctx);
    return answer(ctx);
  };
  return { seen, transport };
}

function chainAround(transport: Service<string, string>, options: Record<string, unknown> = {}) {
  const chain = buildChain({
    options: { service: 'payments', discovery: ['127.0.0.1:8081', '127.0.0.1:8082'], ...options },
    transport,
    clock,
  });
  chains.push(chain);
  return chain;
}

/** Settles when `ctx` is aborted, with its reason: a transport that only honours cancellation. */
function untilAborted(ctx: CallContext): Promise<never> {
  return new Promise((_, reject) =>
    ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }),
  );
}

describe('writing a policy: shedWhenLate', () => {
  it('refuses a call with less time left than it needs, and passes one with enough', async () => {
    const { seen, transport } = recordingTransport(async () => 'ok');
    const call = pipeline(shedWhenLate({ minRemainingMs: 50 }))(transport);
    await expect(call('a', { deadline: clock.now() + 30, clock })).rejects.toBeInstanceOf(
      TooLateError,
    );
    expect(seen).toHaveLength(0);
    await expect(call('b', { deadline: clock.now() + 80, clock })).resolves.toBe('ok');
    expect(seen).toHaveLength(1);
  });

  it('refuses a bad option with CONFIG_INVALID naming it', () => {
    expect(() => shedWhenLate({ minRemainingMs: -1 })).toThrow(/minRemainingMs=-1 is not valid/);
  });

  it('outermost around the default chain: a late call never reaches the chain', async () => {
    const { seen, transport } = recordingTransport(async () => 'ok');
    const chain = chainAround(transport);
    const call = pipeline(shedWhenLate({ minRemainingMs: 20 }))(chain.call);
    const error = await call('a', { timeoutMs: 10, clock }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TooLateError);
    expect(error).not.toBeInstanceOf(OutriggerError);
    expect(seen).toHaveLength(0);
    await expect(call('b', { timeoutMs: 100, clock })).resolves.toBe('ok');
    // The chain's own deadline (10 s by default) only shrinks what the caller gave.
    expect(seen[0]!.deadline).toBe(clock.now() + 100);
  });
});

describe('a user policy inside the default chain keeps deadlines and cancellation right', () => {
  /** A user's per-attempt policy around the transport: counts attempts, passes ctx on. */
  function counting(): Policy & { attempts: number[] } {
    const attempts: number[] = [];
    const policy = (<Req, Res>(next: Service<Req, Res>): Service<Req, Res> =>
      (req, ctx) => {
        attempts.push(ctx.attempt);
        return next(req, ctx);
      }) as Policy & { attempts: number[] };
    policy.attempts = attempts;
    return policy;
  }

  it("the caller's abort reaches the transport through it", async () => {
    const { seen, transport } = recordingTransport(untilAborted);
    const user = counting();
    const chain = chainAround(user(transport));
    const controller = new AbortController();
    const pending = chain.call('a', { signal: controller.signal });
    await clock.advanceAsync(0);
    expect(seen).toHaveLength(1);
    controller.abort(new Error('caller gave up'));
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(seen[0]!.aborted).toBe(true);
    expect(user.attempts).toEqual([1]);
  });

  it('the total deadline aborts the attempt on time and the call fails with TIMEOUT', async () => {
    const { seen, transport } = recordingTransport(untilAborted);
    const chain = chainAround(counting()(transport), { timeout: { totalMs: 100 }, retry: false });
    const pending = chain.call('a').catch((e: unknown) => e);
    await clock.advanceAsync(99);
    expect(seen[0]!.aborted).toBe(false);
    await clock.advanceAsync(1);
    expect(await pending).toMatchObject({ code: 'TIMEOUT' });
    expect(seen[0]!.aborted).toBe(true);
  });

  it('a policy that ignores cancellation still cannot make a call outlive its deadline', async () => {
    // Waits for something that never comes, and never looks at ctx.signal.
    const stuck: Policy =
      <Req, Res>(_next: Service<Req, Res>): Service<Req, Res> =>
      () =>
        new Promise<Res>(() => {});
    const { transport } = recordingTransport(async () => 'ok');
    const chain = chainAround(stuck(transport), { timeout: { totalMs: 100 }, retry: false });
    const pending = chain.call('a').catch((e: unknown) => e);
    await clock.advanceAsync(100);
    expect(await pending).toMatchObject({ code: 'TIMEOUT' });
  });

  it('retries pass through it per attempt, each to another endpoint', async () => {
    let calls = 0;
    const { seen, transport } = recordingTransport(async () => {
      if (calls++ === 0) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
      return 'ok';
    });
    const user = counting();
    const chain = chainAround(user(transport));
    const pending = chain.call('a');
    await clock.advanceAsync(1_000, 5);
    await expect(pending).resolves.toBe('ok');
    expect(user.attempts).toEqual([1, 2]);
    expect(seen[0]!.endpoint!.id).not.toBe(seen[1]!.endpoint!.id);
  });
});
