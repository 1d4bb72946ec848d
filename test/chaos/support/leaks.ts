/**
 * "Nothing is left behind": what a chaos case holds once its clients, proxies and servers are
 * closed, against what the process held before the case began. Real sockets close a little
 * after `close()` resolves (the peer's FIN, undici's own teardown), so the check polls for a
 * bounded time instead of sampling once.
 */
import { readdirSync } from 'node:fs';
import { systemClock } from '@outrigger/core';
import { schedulerFor } from '@outrigger/core/internal';
import { expect } from 'vitest';

/** Resource kinds that keep the event loop alive and that a case could leak. */
const WATCHED = [
  'TCPSocketWrap',
  'TCPServerWrap',
  'Timeout',
  'PipeWrap',
  'ProcessWrap',
  'GetAddrInfoReqWrap',
] as const;

export interface Resources {
  /** Ref'd handles and timers by kind (`process.getActiveResourcesInfo()`). */
  readonly handles: Readonly<Record<string, number>>;
  /** Open file descriptors (sockets included). */
  readonly fds: number;
  /** Listeners on `process`, all events together (signal and exit hooks). */
  readonly processListeners: number;
  /** Deadlines waiting on Outrigger's shared timers. */
  readonly deadlines: number;
}

export function resources(): Resources {
  const handles: Record<string, number> = {};
  for (const kind of WATCHED) handles[kind] = 0;
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind in handles) handles[kind]!++;
  }
  let processListeners = 0;
  for (const name of process.eventNames()) processListeners += process.listenerCount(name);
  return {
    handles,
    fds: readdirSync('/proc/self/fd').length,
    processListeners,
    deadlines: schedulerFor(systemClock).size.entries,
  };
}

/** What grew between `before` and `now` (empty when nothing did). */
function growth(before: Resources, now: Resources): string[] {
  const grown: string[] = [];
  for (const kind of WATCHED) {
    const b = before.handles[kind] ?? 0;
    const n = now.handles[kind] ?? 0;
    if (n > b) grown.push(`${kind} ${b} -> ${n}`);
  }
  if (now.fds > before.fds) grown.push(`fds ${before.fds} -> ${now.fds}`);
  if (now.processListeners > before.processListeners) {
    grown.push(`process listeners ${before.processListeners} -> ${now.processListeners}`);
  }
  if (now.deadlines > 0) grown.push(`deadlines waiting: ${now.deadlines}`);
  return grown;
}

/**
 * Waits up to `withinMs` for the process to hold no more than it did at `before`, then asserts
 * it. The baseline is taken inside the case, so vitest's own timers count on both sides.
 */
export async function expectNoLeaks(before: Resources, withinMs = 2_000): Promise<void> {
  const end = performance.now() + withinMs;
  let grown = growth(before, resources());
  while (grown.length > 0 && performance.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
    grown = growth(before, resources());
  }
  expect(grown, 'resources still held after close()').toEqual([]);
}
