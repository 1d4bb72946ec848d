import type { Dispatcher, Pool } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HttpAttempt } from './attempt.js';
import { PoolEntry } from './pool-entry.js';

/**
 * A pool that only records what reaches it; `drain()` is one of its connections saying it is
 * free again, as undici's `drain` does through the listener the entry gave the pool's factory.
 */
function entry(oneAtATime = true) {
  const sent: HttpAttempt[] = [];
  const pool = {
    dispatch: (_options: Dispatcher.DispatchOptions, attempt: HttpAttempt) => {
      sent.push(attempt);
      return true;
    },
  } as unknown as Pool;
  const released: PoolEntry[] = [];
  let listener: (() => void) | undefined;
  const e = new PoolEntry({ release: (x) => released.push(x) }, 'a:1', oneAtATime, (drained) => {
    listener = drained;
    return pool;
  });
  const drain = () => listener?.();
  return { e, sent, released, drain, listens: () => listener !== undefined };
}

const attempt = () => ({ owner: undefined }) as unknown as HttpAttempt;
const options = { path: '/', method: 'GET' } as Dispatcher.DispatchOptions;

/** Two responses end on `e`, then two calls are made: both wait, one per freeing connection. */
function twoWaiting(e: PoolEntry): [HttpAttempt, HttpAttempt] {
  e.dispatch(options, attempt());
  e.dispatch(options, attempt());
  e.attemptDone(false, true);
  e.attemptDone(false, true);
  const [a, b] = [attempt(), attempt()];
  e.dispatch(options, a);
  e.dispatch(options, b);
  return [a, b];
}

afterEach(() => {
  vi.useRealTimers();
});

describe('PoolEntry', () => {
  it('a call made just after a response ended waits for that connection, and goes when it drains', () => {
    const { e, sent, drain } = entry();
    const first = attempt();
    e.dispatch(options, first);
    e.attemptDone(false, true);
    const second = attempt();
    e.dispatch(options, second);
    expect(sent).toEqual([first]);
    expect(e.waiting).toBe(1);
    drain();
    expect(sent).toEqual([first, second]);
    expect(e.waiting).toBe(0);
    e.stop();
  });

  it('one connection is promised to one call: the next one goes to the pool at once', () => {
    const { e, sent } = entry();
    e.dispatch(options, attempt());
    e.attemptDone(false, true);
    e.dispatch(options, attempt());
    const third = attempt();
    e.dispatch(options, third);
    expect(sent.at(-1)).toBe(third);
    expect(e.waiting).toBe(1);
    e.stop();
  });

  it('each drain frees one promise: two ended responses hold two calls, released one by one', () => {
    const { e, sent, drain } = entry();
    const [a, b] = twoWaiting(e);
    expect(e.waiting).toBe(2);
    drain();
    expect(sent.at(-1)).toBe(a);
    expect(e.waiting).toBe(1);
    drain();
    expect(sent.at(-1)).toBe(b);
    expect(e.waiting).toBe(0);
    e.stop();
  });

  it('once the connection has drained, nothing is promised any more', () => {
    const { e, sent, drain } = entry();
    e.dispatch(options, attempt());
    e.attemptDone(false, true);
    drain();
    const late = attempt();
    e.dispatch(options, late);
    expect(sent.at(-1)).toBe(late);
  });

  it('a drain nothing was promised for sends nothing and promises nothing', () => {
    const { e, sent, drain } = entry();
    drain();
    const call = attempt();
    e.dispatch(options, call);
    expect(sent).toEqual([call]);
  });

  it('a failed attempt, or a pipelining pool, promises nothing; a pipelining pool is not listened to', () => {
    const failed = entry();
    failed.e.dispatch(options, attempt());
    failed.e.attemptDone(false, false);
    failed.e.dispatch(options, attempt());
    expect(failed.sent).toHaveLength(2);

    const pipelined = entry(false);
    expect(pipelined.listens()).toBe(false);
    pipelined.e.dispatch(options, attempt());
    pipelined.e.attemptDone(false, true);
    pipelined.e.dispatch(options, attempt());
    expect(pipelined.sent).toHaveLength(2);
  });

  it('a waiting call that is aborted is over at once and never reaches the pool', () => {
    const { e, sent, drain } = entry();
    e.dispatch(options, attempt());
    e.attemptDone(false, true);
    const aborted = attempt();
    e.dispatch(options, aborted);
    expect(e.abortedBeforeConnect(aborted)).toBe(true);
    e.attemptDone(false, false);
    drain();
    expect(sent).not.toContain(aborted);
    expect(e.inFlight).toBe(0);
    e.stop();
  });

  it('a retired entry is released once idle; stop() sends its waiting calls and clears the stall guard', () => {
    vi.useFakeTimers();
    const { e, sent, released } = entry();
    e.dispatch(options, attempt());
    e.retired = true;
    e.attemptDone(false, true);
    expect(released).toEqual([e]);
    const waiting = attempt();
    e.dispatch(options, waiting);
    expect(e.waiting).toBe(1);
    expect(vi.getTimerCount()).toBe(1);
    e.stop();
    expect(sent.at(-1)).toBe(waiting);
    expect(e.waiting).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a connection that never drains does not keep its call waiting: the stall guard sends it within a few ms', () => {
    vi.useFakeTimers();
    const { e, sent } = entry();
    e.dispatch(options, attempt());
    e.attemptDone(false, true);
    const stuck = attempt();
    e.dispatch(options, stuck);
    vi.advanceTimersByTime(4);
    expect(e.waiting).toBe(1);
    vi.advanceTimersByTime(1);
    expect(sent.at(-1)).toBe(stuck);
    expect(e.waiting).toBe(0);
    expect(e.stalls).toBe(1);
    // Nothing is promised after a stall: the next call goes at once, and no guard is left armed.
    const next = attempt();
    e.dispatch(options, next);
    expect(sent.at(-1)).toBe(next);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('while connections keep draining, the guard lets calls wait for theirs', () => {
    vi.useFakeTimers();
    const { e, sent, drain } = entry();
    const [a, b] = twoWaiting(e);
    vi.advanceTimersByTime(3);
    drain();
    expect(sent.at(-1)).toBe(a);
    vi.advanceTimersByTime(5);
    // A drain came within the period: b keeps waiting for the second connection.
    expect(e.waiting).toBe(1);
    vi.advanceTimersByTime(5);
    // A whole period without one: b goes to the pool.
    expect(sent.at(-1)).toBe(b);
    expect(vi.getTimerCount()).toBe(0);
  });
});
