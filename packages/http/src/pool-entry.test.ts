import type { Dispatcher, Pool } from 'undici';
import { describe, expect, it } from 'vitest';
import type { HttpAttempt } from './attempt.js';
import { PoolEntry } from './pool-entry.js';

/** A pool that only records what reaches it. */
function entry(oneAtATime = true) {
  const sent: HttpAttempt[] = [];
  const pool = {
    dispatch: (_options: Dispatcher.DispatchOptions, attempt: HttpAttempt) => {
      sent.push(attempt);
      return true;
    },
  } as unknown as Pool;
  const released: PoolEntry[] = [];
  const e = new PoolEntry({ release: (x) => released.push(x) }, 'a:1', pool, oneAtATime);
  return { e, sent, released };
}

const attempt = () => ({ owner: undefined }) as unknown as HttpAttempt;
const options = { path: '/', method: 'GET' } as Dispatcher.DispatchOptions;
/** Past the immediate the entry arms from a microtask after a response ends. */
const nextTurn = async () => {
  await Promise.resolve();
  await new Promise<void>((resolve) => setImmediate(resolve));
};

describe('PoolEntry', () => {
  it('a call made just after a response ended waits for that connection, and goes a turn later', async () => {
    const { e, sent } = entry();
    const first = attempt();
    e.dispatch(options, first);
    e.attemptDone(false, true);
    const second = attempt();
    e.dispatch(options, second);
    expect(sent).toEqual([first]);
    expect(e.waiting).toBe(1);
    await nextTurn();
    expect(sent).toEqual([first, second]);
    expect(e.waiting).toBe(0);
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
  });

  it('once the turn has passed, nothing is promised any more', async () => {
    const { e, sent } = entry();
    e.dispatch(options, attempt());
    e.attemptDone(false, true);
    await nextTurn();
    const late = attempt();
    e.dispatch(options, late);
    expect(sent.at(-1)).toBe(late);
  });

  it('a failed attempt, or a pipelining pool, promises nothing', () => {
    const failed = entry();
    failed.e.dispatch(options, attempt());
    failed.e.attemptDone(false, false);
    failed.e.dispatch(options, attempt());
    expect(failed.sent).toHaveLength(2);

    const pipelined = entry(false);
    pipelined.e.dispatch(options, attempt());
    pipelined.e.attemptDone(false, true);
    pipelined.e.dispatch(options, attempt());
    expect(pipelined.sent).toHaveLength(2);
  });

  it('a waiting call that is aborted is over at once and never reaches the pool', async () => {
    const { e, sent } = entry();
    e.dispatch(options, attempt());
    e.attemptDone(false, true);
    const aborted = attempt();
    e.dispatch(options, aborted);
    expect(e.abortedBeforeConnect(aborted)).toBe(true);
    e.attemptDone(false, false);
    await nextTurn();
    expect(sent).not.toContain(aborted);
    expect(e.inFlight).toBe(0);
  });

  it('a retired entry sends its waiting calls on release and is released once idle', async () => {
    const { e, sent, released } = entry();
    e.dispatch(options, attempt());
    e.retired = true;
    e.attemptDone(false, true);
    expect(released).toEqual([e]);
    const waiting = attempt();
    e.dispatch(options, waiting);
    expect(e.waiting).toBe(1);
    e.flushWaiting(true);
    expect(sent.at(-1)).toBe(waiting);
    await nextTurn();
  });
});
