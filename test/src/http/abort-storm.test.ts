/**
 * Callers that abort their calls before a connection is up must not make
 * the client open a connection per aborted call. A storm of calls, each aborted at a random
 * 0–5 ms against a server that answers after 0–6 ms, must keep the connects in progress within
 * a small multiple of the callers' concurrency, and leave nothing held once it is over.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { readdirSync } from 'node:fs';
import type { HttpClient } from '@outrigger/http';
import { describe, expect, it, vi } from 'vitest';
import { EndpointPools } from '../../../packages/http/dist/pools.js';
import { backend, trackedClients } from './servers.js';

const client = trackedClients();

const CALLS = 2_000;
const CONCURRENCY = 32;
/**
 * Before decision 0042 this storm had ~1,500 connects pending at once; after it ~150–190, as
 * plain undici (most of them undici's own: a request aborted after it was written closes its
 * socket, and the client reconnects before it drops the request).
 */
const MAX_PENDING_CONNECTS = 10 * CONCURRENCY;

/** Connects in progress on the client, from undici's diagnostics channels. */
class ConnectWatch {
  pending = 0;
  peak = 0;
  readonly #begin = () => {
    if (++this.pending > this.peak) this.peak = this.pending;
  };
  readonly #end = () => {
    this.pending--;
  };
  start(): this {
    subscribe('undici:client:beforeConnect', this.#begin);
    subscribe('undici:client:connected', this.#end);
    subscribe('undici:client:connectError', this.#end);
    return this;
  }
  stop(): void {
    unsubscribe('undici:client:beforeConnect', this.#begin);
    unsubscribe('undici:client:connected', this.#end);
    unsubscribe('undici:client:connectError', this.#end);
  }
}

/** `CALLS` calls from `CONCURRENCY` callers, each aborting its call at a random 0–5 ms. */
async function storm(call: (signal: AbortSignal) => Promise<unknown>): Promise<number> {
  let issued = 0;
  let answered = 0;
  const abort = (controller: AbortController) => controller.abort();
  const caller = async () => {
    while (issued < CALLS) {
      issued++;
      const controller = new AbortController();
      const timer = setTimeout(abort, Math.random() * 5, controller);
      try {
        await call(controller.signal);
        answered++;
      } catch (error) {
        if ((error as Error).name !== 'AbortError') throw error;
      } finally {
        clearTimeout(timer);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, caller));
  return answered;
}

async function until(condition: () => boolean, ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (!condition() && performance.now() < end) await new Promise((r) => setTimeout(r, 10));
}

const openFds = () => readdirSync('/proc/self/fd').length;

describe.each([
  [
    'request',
    (c: HttpClient, signal: AbortSignal) =>
      c.request('/', { signal }).then((res) => res.body.text()),
  ],
  [
    'fetch',
    (c: HttpClient, signal: AbortSignal) => c.fetch('/', { signal }).then((res) => res.text()),
  ],
] as const)('an abort storm through %s', (_name, call) => {
  it(`keeps connects in progress within ${MAX_PENDING_CONNECTS} for ${CONCURRENCY} callers and holds nothing after`, async () => {
    const b = await backend((req, res) => {
      req.resume();
      const timer = setTimeout(() => res.end('ok'), Math.random() * 6);
      res.on('close', () => clearTimeout(timer));
    });
    // The client's pools, to look at what they hold once the storm is over.
    const dispatch = vi.spyOn(EndpointPools.prototype, 'dispatch');
    const c = client({ service: 'storm', discovery: [b.address] });
    const fdsBefore = openFds();
    let peakFds = fdsBefore;
    const sampler = setInterval(() => {
      peakFds = Math.max(peakFds, openFds());
    }, 5);
    const watch = new ConnectWatch().start();
    try {
      await storm((signal) => call(c, signal));
    } finally {
      clearInterval(sampler);
      watch.stop();
    }
    const pools = dispatch.mock.contexts[0] as EndpointPools;
    expect(watch.peak, 'peak connects in progress').toBeLessThanOrEqual(MAX_PENDING_CONNECTS);
    // Client and server side of each connection live in this process.
    expect(peakFds - fdsBefore, 'peak fds opened').toBeLessThanOrEqual(2 * MAX_PENDING_CONNECTS);
    // Aborted calls undici still held are let go as their connections come up.
    await until(() => pools.pending.held === 0 && pools.pending.undici === 0, 3_000);
    expect(pools.pending).toEqual({ held: 0, waiting: 0, undici: 0, stalls: 0 });
    // The pool still serves: the connections the storm left are usable.
    expect(await call(c, new AbortController().signal)).toBe('ok');
  }, 20_000);
});
