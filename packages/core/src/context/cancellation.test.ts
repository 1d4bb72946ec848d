import { describe, expect, it } from 'vitest';
import { Cancellation, NEVER_CANCELLED } from './cancellation.js';

describe('Cancellation', () => {
  it('aborts children with the parent reason, and a child abort leaves the parent alone', () => {
    const parent = new Cancellation();
    const a = parent.child();
    const b = parent.child();
    b.abort('own');
    expect(parent.aborted).toBe(false);
    parent.abort('parent');
    expect(a.aborted).toBe(true);
    expect(a.reason).toBe('parent');
    expect(b.reason).toBe('own');
  });

  it('a disposed child no longer listens to its parent', () => {
    const parent = new Cancellation();
    const child = parent.child();
    expect(parent.listenerCount).toBe(1);
    child.dispose();
    expect(parent.listenerCount).toBe(0);
    parent.abort();
    expect(child.aborted).toBe(false);
  });

  it('adopting a caller signal adds one listener and dispose removes it', () => {
    const controller = new AbortController();
    let added = 0;
    let removed = 0;
    const signal = controller.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((...args: Parameters<typeof add>) => {
      added++;
      return add(...args);
    }) as typeof add;
    signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      removed++;
      return remove(...args);
    }) as typeof remove;
    const token = Cancellation.fromSignal(signal);
    expect(token.signal).toBe(signal);
    token.dispose();
    expect([added, removed]).toEqual([1, 1]);
    controller.abort();
    expect(token.aborted).toBe(false);
  });

  it('an already-aborted caller signal gives an aborted token and calls listeners at once', () => {
    const token = Cancellation.fromSignal(AbortSignal.abort('early'));
    const seen: unknown[] = [];
    token.add({ onAbort: (r) => seen.push(r) });
    expect(token.aborted).toBe(true);
    expect(seen).toEqual(['early']);
    expect(token.child().reason).toBe('early');
  });

  it('a lazily created signal reflects an abort that happened before it was read', () => {
    const token = new Cancellation();
    token.abort('gone');
    expect(token.signal.aborted).toBe(true);
    expect(token.signal.reason).toBe('gone');
  });

  it('listeners run once, and a second abort is a no-op', () => {
    const token = new Cancellation();
    let calls = 0;
    token.add({ onAbort: () => calls++ });
    token.abort('1');
    token.abort('2');
    expect(calls).toBe(1);
    expect(token.reason).toBe('1');
  });
});

describe('the shared token of a call nobody can cancel', () => {
  it('keeps no listener, so calls sharing it leave nothing behind', () => {
    for (let i = 0; i < 1000; i++) new Cancellation().attachTo(NEVER_CANCELLED);
    NEVER_CANCELLED.add({ onAbort: () => undefined });
    expect(NEVER_CANCELLED.listenerCount).toBe(0);
    expect(NEVER_CANCELLED.aborted).toBe(false);
  });

  it('refuses to abort, since that would cancel every such call', () => {
    expect(() => NEVER_CANCELLED.abort('no')).toThrow(/no cancellation handle/);
    expect(NEVER_CANCELLED.aborted).toBe(false);
  });

  it('hands out a new never-aborting signal per read, so listeners die with their call', () => {
    const a = NEVER_CANCELLED.signal;
    expect(a).not.toBe(NEVER_CANCELLED.signal);
    expect(a.aborted).toBe(false);
  });

  it('a child still aborts on its own (a deadline inside the call)', () => {
    const child = NEVER_CANCELLED.child();
    child.abort('deadline');
    expect(child.aborted).toBe(true);
    expect(NEVER_CANCELLED.aborted).toBe(false);
  });
});
