/**
 * The total deadline covers the whole logical call, body included. A body
 * that stalls or trickles past it fails with TIMEOUT near the deadline and the server sees the
 * socket closed; a per-try timeout stops at the response head; a body that ends in time is
 * unaffected; and no deadline timer entry outlives its body (decision 0043).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { systemClock, TimeoutError } from '@outrigger/core';
import { schedulerFor } from '@outrigger/core/internal';
import type { HttpClient } from '@outrigger/http';
import { afterEach, describe, expect, it } from 'vitest';
import { backend, sawAborted, trackedClients } from './servers.js';

const client = trackedClients();

const TOTAL_MS = 250;
/** Scheduling slack on a loaded 2-core machine: the deadline fires at or after, never before. */
const LATE_MS = 150;

/** Deadlines still waiting on the shared timers: none once every call and body is over. */
const waitingDeadlines = () => schedulerFor(systemClock).size.entries;

afterEach(() => {
  expect(waitingDeadlines()).toBe(0);
});

/** Headers and a first chunk at once, then the rest every `everyMs`, or never (`stall`). */
function slowBody(chunks: number, everyMs: number, stall = false) {
  let aborted: Promise<boolean> | undefined;
  const handler = (_req: IncomingMessage, res: ServerResponse) => {
    aborted = sawAborted(res);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('"');
    if (stall) return;
    let sent = 1;
    const timer = setInterval(() => {
      if (++sent < chunks) return void res.write('x');
      clearInterval(timer);
      res.end('"');
    }, everyMs);
    res.on('close', () => clearInterval(timer));
  };
  return { handler, aborted: () => aborted! };
}

async function slowClient(
  server: ReturnType<typeof slowBody>,
  timeout: { totalMs: number; perTryMs?: number },
): Promise<HttpClient> {
  const b = await backend(server.handler);
  return client({ service: 'slow-body', discovery: [b.address], timeout, retry: false });
}

/** Runs `read`, expecting TIMEOUT close to `TOTAL_MS` after `started`. */
async function expectTimeout(read: () => Promise<unknown>, started: number): Promise<void> {
  const error = await read().then(
    () => undefined,
    (e: unknown) => e,
  );
  const elapsed = performance.now() - started;
  expect(error).toBeInstanceOf(TimeoutError);
  expect(error).toMatchObject({ code: 'TIMEOUT', kind: 'total', timeoutMs: TOTAL_MS });
  expect(elapsed).toBeGreaterThanOrEqual(TOTAL_MS - 1);
  expect(elapsed).toBeLessThan(TOTAL_MS + LATE_MS);
}

describe('the total deadline covers the response body', () => {
  describe('fetch', () => {
    it('a body that stalls after the head: text() rejects with TIMEOUT and the socket closes', async () => {
      const server = slowBody(0, 0, true);
      const c = await slowClient(server, { totalMs: TOTAL_MS });
      const started = performance.now();
      const res = await c.fetch('/');
      expect(res.status).toBe(200);
      await expectTimeout(() => res.text(), started);
      await expect(server.aborted()).resolves.toBe(true);
    });

    it('json() and a body reader fail the same way', async () => {
      const server = slowBody(0, 0, true);
      const c = await slowClient(server, { totalMs: TOTAL_MS });
      let started = performance.now();
      const json = await c.fetch('/');
      await expectTimeout(() => json.json(), started);
      started = performance.now();
      const streamed = await c.fetch('/');
      const reader = streamed.body!.getReader();
      await expectTimeout(async () => {
        for (let r = await reader.read(); !r.done; r = await reader.read());
      }, started);
      await expect(server.aborted()).resolves.toBe(true);
    });

    it('a body trickling past the deadline fails with TIMEOUT, not when it would have ended', async () => {
      const server = slowBody(20, 50); // ~1 s in all
      const c = await slowClient(server, { totalMs: TOTAL_MS });
      const started = performance.now();
      const res = await c.fetch('/');
      await expectTimeout(() => res.text(), started);
      await expect(server.aborted()).resolves.toBe(true);
    });

    it('a body that ends within the deadline is unaffected, and a per-try timeout stops at the head', async () => {
      // Head at once, body over ~200 ms: past the 100 ms per-try, within the 500 ms total.
      const server = slowBody(5, 50);
      const c = await slowClient(server, { totalMs: 500, perTryMs: 100 });
      const res = await c.fetch('/');
      expect(await res.json()).toBe('xxx');
      await expect(server.aborted()).resolves.toBe(false);
    });

    it('a cancelled body lets go of its deadline', async () => {
      const server = slowBody(0, 0, true);
      const c = await slowClient(server, { totalMs: 2_000 });
      const res = await c.fetch('/');
      expect(waitingDeadlines()).toBe(1);
      await res.body!.cancel();
      expect(waitingDeadlines()).toBe(0);
      await expect(server.aborted()).resolves.toBe(true);
    });
  });

  describe('request', () => {
    it('a body that stalls after the head: text() rejects with TIMEOUT and the socket closes', async () => {
      const server = slowBody(0, 0, true);
      const c = await slowClient(server, { totalMs: TOTAL_MS });
      const started = performance.now();
      const res = await c.request('/');
      expect(res.statusCode).toBe(200);
      await expectTimeout(() => res.body.text(), started);
      await expect(server.aborted()).resolves.toBe(true);
    });

    it('a body read as a stream, trickling past the deadline, fails with TIMEOUT', async () => {
      const server = slowBody(20, 50);
      const c = await slowClient(server, { totalMs: TOTAL_MS });
      const started = performance.now();
      const res = await c.request('/');
      await expectTimeout(async () => {
        for await (const _ of res.body);
      }, started);
      await expect(server.aborted()).resolves.toBe(true);
    });

    it('a per-call timeout is the deadline its body is held to', async () => {
      const server = slowBody(0, 0, true);
      const c = await slowClient(server, { totalMs: 10_000 });
      const started = performance.now();
      const res = await c.request('/', { timeout: TOTAL_MS });
      await expectTimeout(() => res.body.text(), started);
    });

    it('a body that ends within the deadline is unaffected', async () => {
      const server = slowBody(5, 40);
      const c = await slowClient(server, { totalMs: 500, perTryMs: 100 });
      const res = await c.request('/');
      expect(await res.body.json()).toBe('xxx');
    });

    it('a destroyed body lets go of its deadline', async () => {
      const server = slowBody(0, 0, true);
      const c = await slowClient(server, { totalMs: 2_000 });
      const res = await c.request('/');
      expect(waitingDeadlines()).toBe(1);
      res.body.destroy();
      await expect(server.aborted()).resolves.toBe(true);
      expect(waitingDeadlines()).toBe(0);
    });
  });
});
