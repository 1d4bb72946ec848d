/**
 * A caller that sends its next request as soon as it has read a body must get the connection
 * that body came on, not a new one (decision 0057). undici keeps a connection busy for one turn
 * of the loop after its response ends, so a pool without a connection limit used to open about
 * two connections per call in flight. And a connection that is not kept (the server closes it,
 * or resets it after answering) must never leave a call waiting for it.
 */
import type { Socket } from 'node:net';
import { Pool } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EndpointPools } from '../../../packages/http/dist/pools.js';
import { backend, trackedClients } from './servers.js';

const client = trackedClients();

const CONCURRENCY = 16;
const CALLS_EACH = 40;

/** `CONCURRENCY` callers, each sending `CALLS_EACH` calls back to back, reading every body. */
async function closedLoop(call: () => Promise<string>): Promise<string[]> {
  const bodies: string[] = [];
  const caller = async () => {
    for (let i = 0; i < CALLS_EACH; i++) bodies.push(await call());
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, caller));
  return bodies;
}

/**
 * Runs the closed loop, sampling as each call is sent the calls waiting for a freeing connection:
 * the most ever waiting, and the times a stall guard had to release one because its connection
 * never said it was free (zero when undici's `drain` released every one).
 */
async function watchWaiting(
  call: () => Promise<string>,
): Promise<{ bodies: string[]; peak: number; stalls: number }> {
  const dispatch = vi.spyOn(EndpointPools.prototype, 'dispatch');
  let peak = 0;
  const bodies = await closedLoop(async () => {
    const answer = call();
    const pools = dispatch.mock.contexts[0] as EndpointPools | undefined;
    if (pools) peak = Math.max(peak, pools.pending.waiting);
    return answer;
  });
  const pools = dispatch.mock.contexts[0] as EndpointPools;
  return { bodies, peak, stalls: pools.pending.stalls };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('connection reuse', () => {
  it('keeps one connection per call in flight, where an unlimited undici Pool opens about two', async () => {
    const b = await backend((_req, res) => res.end('ok'));
    let opened = 0;
    b.server.on('connection', () => opened++);

    const pool = new Pool(`http://${b.address}`);
    await closedLoop(async () => (await pool.request({ path: '/', method: 'GET' })).body.text());
    const byUndici = opened;
    await pool.close();

    opened = 0;
    const c = client({ service: 'reuse', discovery: [b.address] });
    const bodies = await closedLoop(async () => (await c.request('/')).body.text());
    expect(bodies).toHaveLength(CONCURRENCY * CALLS_EACH);
    expect(bodies.every((body) => body === 'ok')).toBe(true);
    // Calls did wait for freeing connections, the way this is done, and each was sent when its
    // connection drained, never by the stall guard.
    const watched = await watchWaiting(async () => (await c.request('/')).body.text());
    expect(watched.peak).toBeGreaterThan(0);
    expect(watched.stalls).toBe(0);
    // The unlimited pool is the behaviour this guards against; if undici ever stops opening
    // extra connections, this test still asserts ours.
    expect(byUndici).toBeGreaterThan(CONCURRENCY * 1.5);
    expect(opened).toBeLessThanOrEqual(CONCURRENCY);
  });

  it('the same through fetch', async () => {
    const b = await backend((_req, res) => res.end('ok'));
    let opened = 0;
    b.server.on('connection', () => opened++);
    const c = client({ service: 'reuse-fetch', discovery: [b.address] });
    const bodies = await closedLoop(async () => (await c.fetch('/')).text());
    expect(bodies.every((body) => body === 'ok')).toBe(true);
    expect(opened).toBeLessThanOrEqual(CONCURRENCY);
  });

  it('a connection the server closes after each answer never leaves a call waiting', async () => {
    const b = await backend((_req, res) => {
      res.setHeader('connection', 'close');
      res.end('ok');
    });
    // No deadline: a call left waiting for a connection that is never freed would hang here.
    const c = client({ service: 'reuse-close', discovery: [b.address], timeout: false });
    const { bodies, stalls } = await watchWaiting(async () => (await c.request('/')).body.text());
    expect(bodies).toHaveLength(CONCURRENCY * CALLS_EACH);
    expect(bodies.every((body) => body === 'ok')).toBe(true);
    // undici resumes a closed connection too, and its drain released the call promised to it.
    expect(stalls).toBe(0);
  });

  it('a connection reset right after its answer never leaves a call waiting', async () => {
    const b = await backend((_req, res) => {
      res.end('ok', () => (res.socket as Socket | null)?.destroy());
    });
    const c = client({
      service: 'reuse-reset',
      discovery: [b.address],
      timeout: false,
      retry: false,
      breaker: false,
      outlierDetection: false,
    });
    let failed = 0;
    const { bodies, stalls } = await watchWaiting(async () => {
      try {
        return await (await c.request('/')).body.text();
      } catch {
        failed++;
        return 'failed';
      }
    });
    expect(bodies).toHaveLength(CONCURRENCY * CALLS_EACH);
    expect(stalls).toBe(0);
    // A request written just as the server resets the socket fails; most are answered.
    expect(failed).toBeLessThan(bodies.length / 2);
  });

  it('with pipelining, undici reuses connections at once and no call waits', async () => {
    const b = await backend((_req, res) => res.end('ok'));
    let opened = 0;
    b.server.on('connection', () => opened++);
    const c = client({ service: 'reuse-pipe', discovery: [b.address], pipelining: 4 });
    const bodies = await closedLoop(async () => (await c.request('/')).body.text());
    expect(bodies.every((body) => body === 'ok')).toBe(true);
    expect(opened).toBeLessThanOrEqual(CONCURRENCY);
    expect((await watchWaiting(async () => (await c.request('/')).body.text())).peak).toBe(0);
  });
});
