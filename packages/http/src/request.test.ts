import type { Endpoint } from '@outrigger/core';
import type { Dispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import type { HttpAttempt } from './attempt.js';
import { ClientCore } from './client-core.js';
import type { EndpointDispatcher } from './pools.js';
import { RequestFacade } from './request.js';

class Capture implements EndpointDispatcher {
  readonly sent: HttpAttempt[] = [];
  dispatch(_endpoint: Endpoint, _options: Dispatcher.DispatchOptions, attempt: HttpAttempt): void {
    attempt.onConnect(() => {});
    this.sent.push(attempt);
  }
}

/** Microtask turns from `start()` until `promise` settles. */
async function ticksAfter(promise: Promise<unknown>, start: () => void): Promise<number> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  start();
  let ticks = 0;
  while (!done) {
    await Promise.resolve();
    ticks++;
  }
  return ticks;
}

describe('request() through the default chain (decision 0041)', () => {
  it('settles the caller as soon as the head arrives: no promise hop per policy', async () => {
    const wire = new Capture();
    const core = new ClientCore(
      { service: 'svc', discovery: ['10.0.0.5:8080'], timeout: { totalMs: 1_000 } },
      wire,
    );
    expect(core.chain.policies).toEqual(
      expect.arrayContaining([
        'total-deadline',
        'retry',
        'breaker',
        'bulkhead',
        'outlier-detection',
      ]),
    );
    const facade = new RequestFacade(core);
    // Warm up: the balancer's first endpoint set.
    const first = facade.request('/');
    await new Promise((resolve) => setImmediate(resolve));
    wire.sent[0]!.onHeaders(200, [], () => {}, 'OK');
    await first;

    const pending = facade.request('/');
    await new Promise((resolve) => setImmediate(resolve));
    const attempt = wire.sent[1]!;
    let plainResolve: (() => void) | undefined;
    const plain = new Promise<void>((resolve) => (plainResolve = resolve));
    const ours = await ticksAfter(pending, () => attempt.onHeaders(204, [], () => {}, ''));
    const bare = await ticksAfter(plain, () => plainResolve!());
    expect(ours).toBe(bare);
    expect((await pending).statusCode).toBe(204);
    await core.close();
  });
});
