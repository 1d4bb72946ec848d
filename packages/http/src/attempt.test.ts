import { CallContext, ManualClock, TimeoutError } from '@outrigger/core';
import { schedulerFor } from '@outrigger/core/internal';
import { describe, expect, it } from 'vitest';
import {
  type AttemptOwner,
  type BodySink,
  type BodySinks,
  HttpAttempt,
  MAX_DRAIN_BYTES,
} from './attempt.js';
import { OutboundRequest } from './outbound.js';

/**
 * Plays undici's side of one request, as its HTTP/1.1 client calls a handler: `onConnect` with
 * its abort, `onHeaders` with raw headers and its resume, `onData` (false pauses the parser),
 * `onComplete` with raw trailers, `onError`.
 */
class FakeWire {
  aborted = false;
  paused = false;
  reason: Error | undefined;
  constructor(
    readonly attempt: HttpAttempt,
    readonly onAbortCalled?: (e: Error) => void,
  ) {}
  readonly abort = (reason?: Error) => {
    this.aborted = true;
    this.reason = reason;
    this.onAbortCalled?.(reason!);
  };
  readonly resume = () => {
    this.paused = false;
  };
  connect() {
    this.attempt.onConnect(this.abort);
  }
  head(status: number, headers: Record<string, string> = {}, text = '') {
    const raw = Object.entries(headers).flatMap(([k, v]) => [Buffer.from(k), Buffer.from(v)]);
    if (!this.attempt.onHeaders(status, raw, this.resume, text)) this.paused = true;
  }
  data(chunk: Buffer) {
    if (!this.attempt.onData(chunk)) this.paused = true;
  }
  end(trailers: Record<string, string> = {}) {
    const raw = Object.entries(trailers).flatMap(([k, v]) => [Buffer.from(k), Buffer.from(v)]);
    this.attempt.onComplete(raw);
  }
}

/** Lets the attempt's promise reactions run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** An owner as the pool entry is: counts the attempt done, says whether it still had it queued. */
class Owner implements AttemptOwner {
  done = 0;
  held: boolean | undefined;
  queued = false;
  attemptDone(held: boolean): void {
    this.done++;
    this.held = held;
  }
  abortedBeforeConnect(): boolean {
    return this.queued;
  }
}

function start(ctx = CallContext.root(), sinks?: BodySinks, request?: OutboundRequest) {
  let settled: { value?: HttpAttempt; error?: unknown } | undefined;
  const req = request ?? new OutboundRequest('GET', '/', [], null, true);
  const attempt = new HttpAttempt(
    ctx,
    req,
    {
      settle: (outcome) => {
        if (settled) throw new Error('settled twice');
        settled = outcome.ok ? { value: outcome.value } : { error: outcome.error };
      },
    },
    sinks,
  );
  attempt.listen();
  const owner = new Owner();
  attempt.owner = owner;
  return { attempt, owner, settled: () => settled, done: () => owner.done };
}

describe('HttpAttempt', () => {
  it('resolves at the head, buffers early body bytes, and hands them to the sink in order', async () => {
    const { attempt, settled, done } = start();
    const wire = new FakeWire(attempt);
    wire.connect();
    wire.head(100, {}, 'Continue');
    await flush();
    expect(settled()).toBeUndefined();
    wire.head(200, { 'Content-Length': '4', 'Set-Cookie': 'a=1' }, 'OK');
    await flush();
    expect(settled()?.value).toBe(attempt);
    expect(attempt.headers).toEqual({ 'content-length': '4', 'set-cookie': 'a=1' });
    expect(attempt.statusText).toBe('OK');
    wire.data(Buffer.from('ab'));
    wire.data(Buffer.from('cd'));
    wire.end({ 'x-trailer': '1' });
    expect(done()).toBe(1);
    const seen: string[] = [];
    attempt.attach({
      onData: (chunk) => seen.push(chunk.toString()) > 0,
      onEnd: (t) => seen.push(`end:${t['x-trailer']}`),
      onError: () => seen.push('error'),
    });
    expect(seen).toEqual(['ab', 'cd', 'end:1']);
  });

  it('hands a body with no trailers an empty object, and one arriving after attach straight on', () => {
    const { attempt } = start();
    const wire = new FakeWire(attempt);
    wire.connect();
    wire.head(200);
    const seen: unknown[] = [];
    attempt.attach({
      onData: (chunk) => seen.push(chunk.toString()) > 0,
      onEnd: (t) => seen.push(t),
      onError: () => seen.push('error'),
    });
    wire.data(Buffer.from('xy'));
    wire.end();
    expect(seen).toEqual(['xy', {}]);
  });

  it('pauses the connection once 64 KiB wait for a reader, and resumes when one attaches', () => {
    const { attempt } = start();
    const wire = new FakeWire(attempt);
    wire.connect();
    wire.head(200);
    wire.data(Buffer.alloc(64 * 1024));
    expect(wire.paused).toBe(false);
    wire.data(Buffer.alloc(1));
    expect(wire.paused).toBe(true);
    attempt.attach({ onData: () => true, onEnd: () => {}, onError: () => {} });
    expect(wire.paused).toBe(false);
  });

  it('pauses when the sink is full, and resumes when it asks for more', () => {
    const { attempt } = start();
    const wire = new FakeWire(attempt);
    wire.connect();
    wire.head(200);
    let room = true;
    attempt.attach({ onData: () => room, onEnd: () => {}, onError: () => {} });
    room = false;
    wire.data(Buffer.from('a'));
    expect(wire.paused).toBe(true);
    attempt.resume();
    expect(wire.paused).toBe(false);
  });

  it('an abort while undici holds the request rejects at once; onConnect then throws, so undici drops the request and keeps the socket', async () => {
    const ctx = CallContext.root({ service: 'svc' });
    const { attempt, owner, settled } = start(ctx);
    const timeout = new TimeoutError({ service: 'svc', timeoutMs: 50, kind: 'total' });
    ctx.cancellation.abort(timeout);
    await flush();
    expect(settled()?.error).toBe(timeout);
    expect(owner.done).toBe(0); // undici still holds it
    const wire = new FakeWire(attempt);
    expect(() => wire.connect()).toThrow(timeout);
    expect(wire.aborted).toBe(false);
    // undici's answer to a throwing onConnect: it errors the request with what was thrown.
    attempt.onError(timeout);
    expect(owner).toMatchObject({ done: 1, held: true });
  });

  it('an abort while the owner still has the attempt queued ends it at once, not held', async () => {
    const ctx = CallContext.root({ service: 'svc' });
    const { attempt, owner, settled } = start(ctx);
    owner.queued = true;
    ctx.cancellation.abort(new Error('caller gave up'));
    await flush();
    expect(settled()?.error).toMatchObject({ code: 'CANCELLED' });
    expect(owner).toMatchObject({ done: 1, held: false });
    attempt.abortWire(new Error('again'));
    expect(owner.done).toBe(1);
  });

  it("an abort in flight calls undici's abort and leaves the cancellation's listeners clean", async () => {
    const ctx = CallContext.root({ service: 'svc' });
    const { attempt, settled, done } = start(ctx);
    const wire = new FakeWire(attempt, (reason) => attempt.onError(reason));
    wire.connect();
    expect(ctx.cancellation.listenerCount).toBe(1);
    ctx.cancellation.abort(new Error('caller gave up'));
    expect(wire.aborted).toBe(true);
    await flush();
    expect(settled()?.error).toMatchObject({ code: 'CANCELLED' });
    expect(done()).toBe(1);
  });

  it('stops listening to the cancellation once the head arrives', () => {
    const ctx = CallContext.root();
    const { attempt } = start(ctx);
    const wire = new FakeWire(attempt);
    wire.connect();
    wire.head(200);
    expect(ctx.cancellation.listenerCount).toBe(0);
  });

  it('a network error before the head rejects with undici’s error', async () => {
    const { attempt, settled, done } = start();
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    attempt.onError(refused);
    await flush();
    expect(settled()?.error).toBe(refused);
    expect(done()).toBe(1);
  });

  it('an error after the head reaches the sink', () => {
    const { attempt } = start();
    const wire = new FakeWire(attempt);
    wire.connect();
    wire.head(200);
    const errors: Error[] = [];
    attempt.attach({ onData: () => true, onEnd: () => {}, onError: (e) => errors.push(e) });
    const reset = new Error('socket hang up');
    attempt.onError(reset);
    expect(errors).toEqual([reset]);
    expect(attempt.bodyDone).toBe(true);
  });

  it('discard drains a small body (keeping the connection) and cuts a large one', () => {
    const small = start();
    const w1 = new FakeWire(small.attempt);
    w1.connect();
    w1.head(503, { 'content-length': '10' });
    small.attempt.discard();
    w1.data(Buffer.alloc(10));
    expect(w1.aborted).toBe(false);

    const large = start();
    const w2 = new FakeWire(large.attempt);
    w2.connect();
    w2.head(503, { 'content-length': String(MAX_DRAIN_BYTES + 1) });
    large.attempt.discard();
    expect(w2.aborted).toBe(true);

    const chunked = start();
    const w3 = new FakeWire(chunked.attempt);
    w3.connect();
    w3.head(503);
    chunked.attempt.discard();
    w3.data(Buffer.alloc(MAX_DRAIN_BYTES + 1));
    expect(w3.aborted).toBe(true);
  });

  describe('body deadline', () => {
    const held = (clock: ManualClock) => schedulerFor(clock).size.entries;
    /** An attempt as the chain makes it: under the call's total deadline (`perTry`: kept apart). */
    const begin = (clock: ManualClock, totalMs: number, perTry = false) => {
      const call = CallContext.root({ clock, service: 'svc' });
      const req = new OutboundRequest('GET', '/', [], null, true);
      req.holdTo(call, totalMs, perTry);
      const s = start(call.withDeadline(clock.now() + totalMs), undefined, req);
      const wire = new FakeWire(s.attempt, (reason) => s.attempt.onError(reason));
      wire.connect();
      wire.head(200);
      return { ...s, wire };
    };
    const sink = (errors: Error[]): BodySink => ({
      onData: () => true,
      onEnd: () => {},
      onError: (e) => errors.push(e),
    });

    it('holds the taken body to the call’s total deadline: TIMEOUT, and the wire closes', () => {
      const clock = new ManualClock(1_000);
      const { attempt, wire, done } = begin(clock, 300);
      clock.advance(100);
      const errors: Error[] = [];
      attempt.attach(sink(errors));
      expect(held(clock)).toBe(1);
      wire.data(Buffer.from('a'));
      clock.advance(199);
      expect(wire.aborted).toBe(false);
      clock.advance(2);
      expect(wire.aborted).toBe(true);
      expect(wire.reason).toBeInstanceOf(TimeoutError);
      expect(wire.reason).toMatchObject({ code: 'TIMEOUT', kind: 'total', timeoutMs: 300 });
      expect(errors).toEqual([wire.reason]);
      expect(done()).toBe(1);
      expect(held(clock)).toBe(0);
    });

    it('lets go of the deadline when the body ends, errors or is cut', () => {
      const clock = new ManualClock(0);
      const ended = begin(clock, 300);
      ended.attempt.claim();
      ended.wire.end();
      const failed = begin(clock, 300);
      failed.attempt.attach(sink([]));
      failed.attempt.onError(new Error('socket hang up'));
      const cut = begin(clock, 300, true);
      cut.attempt.attach(sink([]));
      expect(held(clock)).toBe(1);
      cut.attempt.abortWire(new Error('body cancelled'));
      expect(held(clock)).toBe(0);
      clock.advance(1_000);
      expect(ended.wire.aborted || failed.wire.aborted).toBe(false);
    });

    it('holds a body drained for its connection to the deadline too; a body already in is not held', () => {
      const clock = new ManualClock(0);
      // A discarded body (a retried 503, a hedge's loser) that stalls while it drains: undici's
      // own timers are off (decision 0059), so only this deadline frees its connection.
      const discarded = begin(clock, 300);
      discarded.attempt.discard();
      discarded.wire.data(Buffer.from('a'));
      const complete = begin(clock, 300);
      complete.wire.end();
      complete.attempt.attach(sink([]));
      expect(held(clock)).toBe(1);
      clock.advance(299);
      expect(discarded.wire.aborted).toBe(false);
      clock.advance(2);
      expect(discarded.wire.aborted).toBe(true);
      expect(discarded.wire.reason).toMatchObject({ code: 'TIMEOUT', kind: 'total' });
      expect(discarded.done()).toBe(1);
      expect(held(clock)).toBe(0);
    });
  });

  describe('with a sink made at the head', () => {
    class Recorder implements BodySink {
      readonly seen: string[] = [];
      room = true;
      onData(chunk: Buffer) {
        this.seen.push(chunk.toString());
        return this.room;
      }
      onEnd() {
        this.seen.push('end');
      }
      onError(error: Error) {
        this.seen.push(`error:${error.message}`);
      }
    }
    const sinks = () => {
      const made: Recorder[] = [];
      return { made, sinkFor: () => made[made.push(new Recorder()) - 1]! };
    };

    it('feeds it from the first byte, before the promise reactions run, and hands it over on claim', () => {
      const s = sinks();
      const { attempt } = start(CallContext.root(), s);
      const wire = new FakeWire(attempt);
      wire.connect();
      wire.head(200, { 'content-length': '2' });
      wire.data(Buffer.from('ok'));
      wire.end();
      expect(s.made).toHaveLength(1);
      expect(s.made[0]!.seen).toEqual(['ok', 'end']);
      expect(attempt.claim()).toBe(s.made[0]);
      attempt.discard();
      expect(wire.aborted).toBe(false);
    });

    it('pauses the connection when the sink is full, as undici would', () => {
      const s = sinks();
      const { attempt } = start(CallContext.root(), s);
      const wire = new FakeWire(attempt);
      wire.connect();
      wire.head(200);
      s.made[0]!.room = false;
      wire.data(Buffer.from('a'));
      expect(wire.paused).toBe(true);
      attempt.claim();
      attempt.resume();
      expect(wire.paused).toBe(false);
    });

    it('a discarded attempt drops its unclaimed sink: a small body drains, a large one is cut', () => {
      const s = sinks();
      const small = start(CallContext.root(), s);
      const w1 = new FakeWire(small.attempt);
      w1.connect();
      w1.head(503, { 'content-length': '10' });
      s.made[0]!.room = false;
      w1.data(Buffer.alloc(4));
      expect(w1.paused).toBe(true);
      small.attempt.discard();
      expect(w1.paused).toBe(false);
      w1.data(Buffer.alloc(6));
      w1.end();
      expect(s.made[0]!.seen).toHaveLength(1);
      expect(w1.aborted).toBe(false);

      const large = start(CallContext.root(), s);
      const w2 = new FakeWire(large.attempt);
      w2.connect();
      w2.head(503, { 'content-length': String(MAX_DRAIN_BYTES + 1) });
      large.attempt.discard();
      expect(w2.aborted).toBe(true);
    });
  });
});
