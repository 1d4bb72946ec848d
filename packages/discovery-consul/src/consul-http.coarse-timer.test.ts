import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it, vi } from 'vitest';
import { resolveAgent } from './agent-options.js';
import type { ConsulError } from './consul-error.js';
import { ConsulHttp } from './consul-http.js';

// Its own file: undici keeps one coarse-clock timer per process once any coarse timeout was
// set, and a real one left by another test would tick in real time under the fake clock here.

let server: Server | undefined;
afterEach(async () => {
  vi.useRealTimers();
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

async function hangingAgent(): Promise<string> {
  server = createServer(() => {});
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

// undici times anything over 1 s on a clock that ticks every ~0.5 s and counts a timer from the
// tick before it was set. On fake time, a query set just before a tick must still get its time.
it("never times a blocking query out early on undici's coarse clock", async () => {
  const address = await hangingAgent();
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  const c = new ConsulHttp(
    resolveAgent({ agentAddress: address, requestTimeoutMs: 1_000, env: {} }, 'test'),
  );
  // One query keeps undici's coarse clock ticking; the next starts a hair before its tick.
  const keeper = c.request({ method: 'GET', path: '/v1/kv/a', waitMs: 60_000 }).catch(() => {});
  await vi.advanceTimersByTimeAsync(498);
  const started = performance.now();
  let endedAt = Number.NaN;
  const measured = c
    .request({ method: 'GET', path: '/v1/kv/b', waitMs: 1_000 })
    .catch((e: unknown) => {
      endedAt = performance.now();
      return e;
    });
  // The sockets are real: each virtual millisecond lets their I/O run first.
  while (Number.isNaN(endedAt) && performance.now() - started < 5_000) {
    await new Promise((r) => setImmediate(r));
    await vi.advanceTimersByTimeAsync(1);
  }
  const error = (await measured) as ConsulError;
  expect(error).toMatchObject({ kind: 'timeout' });
  expect(error.message).toMatch(/timed out after 2063 ms/);
  expect(endedAt - started).toBeGreaterThanOrEqual(2_063);
  expect(endedAt - started).toBeLessThan(2_063 + 1_000);
  await c.close();
  await keeper;
});
