import { TimeoutError } from '@outrigger/core';
import { describe, expect, it } from 'vitest';
import { backend, deadAddress, sawAborted, trackedClients } from './servers.js';

const client = trackedClients();

describe('HTTP client against real instances', () => {
  it('fetches and requests: body, status, headers, the deadline sent on', async () => {
    const b = await backend((req, res) => {
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.setHeader('x-deadline', String(req.headers['outrigger-timeout-ms']));
      res.statusCode = req.url === '/missing' ? 404 : 200;
      req.pipe(res);
    });
    const c = client({ service: 'echo', discovery: [b.address], timeout: { totalMs: 2_000 } });
    const res = await c.fetch('/x', { method: 'POST', body: 'payload' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('payload');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    const sent = Number(res.headers.get('x-deadline'));
    expect(sent).toBeGreaterThan(1_000);
    expect(sent).toBeLessThanOrEqual(2_000);
    expect((await c.fetch('http://echo/missing')).status).toBe(404);
    const data = await c.request('/y', { method: 'PUT', body: Buffer.from('bytes') });
    expect(data.statusCode).toBe(200);
    expect(await data.body.text()).toBe('bytes');
  });

  it('streams a large response body through with backpressure', async () => {
    const chunk = Buffer.alloc(64 * 1024, 97);
    const b = await backend((_req, res) => {
      let n = 0;
      const write = () => {
        while (n < 32) if (!res.write(chunk, () => {}) && ++n) return res.once('drain', write);
        res.end();
      };
      write();
    });
    const c = client({ service: 'big', discovery: [b.address] });
    const res = await c.fetch('/');
    let bytes = 0;
    for await (const part of res.body!) bytes += part.byteLength;
    expect(bytes).toBe(32 * 64 * 1024);
  });

  it('a hanging instance: the deadline rejects with TIMEOUT and the server sees the request closed', async () => {
    let aborted: Promise<boolean> | undefined;
    const b = await backend((_req, res) => {
      aborted = sawAborted(res);
    });
    const c = client({ service: 'hang', discovery: [b.address], retry: false });
    const started = performance.now();
    await expect(c.fetch('/', { timeout: 80 })).rejects.toBeInstanceOf(TimeoutError);
    expect(performance.now() - started).toBeLessThan(1_000);
    await expect(aborted).resolves.toBe(true);
  });

  it('a slow instance within the deadline still answers', async () => {
    const b = await backend((_req, res) => setTimeout(() => res.end('late'), 30));
    const c = client({ service: 'slow', discovery: [b.address] });
    const res = await c.request('/', { timeout: 2_000 });
    expect(await res.body.text()).toBe('late');
  });

  it('a failing instance (500) resolves its response and is not retried', async () => {
    const b = await backend((_req, res) => {
      res.statusCode = 500;
      res.end('boom');
    });
    const c = client({ service: 'fail', discovery: [b.address] });
    const res = await c.fetch('/');
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('boom');
    expect(b.hits).toBe(1);
  });

  it('retries a GET on 503 and returns the last 503 once attempts are spent', async () => {
    const b = await backend((_req, res, self) => {
      res.statusCode = self.hits < 3 ? 503 : 200;
      res.end(`hit ${self.hits}`);
    });
    const c = client({ service: 'busy', discovery: [b.address] });
    const res = await c.fetch('/');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hit 3');
    const spent = await c.fetch('/', { headers: { 'x-n': '1' } });
    expect(spent.status).toBe(200);
    b.hits = -100;
    const last = await c.fetch('/');
    expect(last.status).toBe(503);
    expect(await last.text()).toBe('hit -97');
  });

  it('does not retry a POST on 503, but does with idempotent: true or an Idempotency-Key', async () => {
    const b = await backend((_req, res, self) => {
      res.statusCode = self.hits % 2 === 1 ? 503 : 200;
      res.end();
    });
    const c = client({ service: 'post', discovery: [b.address] });
    expect((await c.fetch('/', { method: 'POST', body: 'x' })).status).toBe(503);
    expect(b.hits).toBe(1);
    b.hits = 0;
    expect((await c.fetch('/', { method: 'POST', body: 'x', idempotent: true })).status).toBe(200);
    expect(b.hits).toBe(2);
    b.hits = 0;
    const keyed = await c.request('/', {
      method: 'POST',
      body: 'x',
      headers: { 'Idempotency-Key': 'k1' },
    });
    expect(keyed.statusCode).toBe(200);
    expect(b.hits).toBe(2);
  });

  it('requeues a POST that met a dead instance (connection refused) on a live one', async () => {
    const live = await backend((req, res) => req.pipe(res));
    // Round robin, so the dead instance is certainly picked within the four calls.
    const c = client({
      service: 'mixed',
      discovery: [await deadAddress(), live.address],
      balancer: 'round-robin',
    });
    const requeues: boolean[] = [];
    c.events.on('retry.scheduled', (e) => requeues.push(e.requeue));
    for (let i = 0; i < 4; i++) {
      const res = await c.fetch('/', { method: 'POST', body: `n${i}` });
      expect(await res.text()).toBe(`n${i}`);
    }
    expect(live.hits).toBe(4);
    expect(requeues.length).toBeGreaterThan(0);
    expect(requeues.every(Boolean)).toBe(true);
  });

  it('a resetting instance: a GET goes to another; alone, it fails with UNAVAILABLE around the socket error', async () => {
    const resetting = await backend((req) => req.socket.destroy());
    const live = await backend((_req, res) => res.end('ok'));
    const c = client({ service: 'reset', discovery: [resetting.address, live.address] });
    for (let i = 0; i < 3; i++) expect(await (await c.fetch('/')).text()).toBe('ok');

    const only = client({ service: 'reset-only', discovery: [resetting.address] });
    const error = await only.fetch('/').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe('fetch failed');
    const cause = (error as Error).cause as { code?: string; cause?: { code?: string } };
    expect(cause.code).toBe('UNAVAILABLE');
    expect(cause.cause?.code).toBe('UND_ERR_SOCKET');
  });

  it('honours Retry-After on 429, and gives up at once when it asks for more than the cap', async () => {
    const b = await backend((_req, res, self) => {
      if (self.hits === 1) {
        res.writeHead(429, { 'retry-after': '1' });
        return res.end();
      }
      res.end('ok');
    });
    const c = client({ service: 'limited', discovery: [b.address] });
    const started = performance.now();
    expect((await c.fetch('/')).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(b.hits).toBe(2);

    const capped = await backend((_req, res) => {
      res.writeHead(503, { 'retry-after': '30' });
      res.end();
    });
    const c2 = client({
      service: 'capped',
      discovery: [capped.address],
      retry: { retryAfterMaxMs: 500 },
    });
    expect((await c2.fetch('/')).status).toBe(503);
    expect(capped.hits).toBe(1);
  });

  it("a caller's abort rejects with the signal's reason and closes the request on the wire", async () => {
    let aborted: Promise<boolean> | undefined;
    const b = await backend((_req, res) => {
      aborted = sawAborted(res);
      res.flushHeaders();
    });
    const c = client({ service: 'abort', discovery: [b.address] });
    const controller = new AbortController();
    const pending = c.fetch('/', { signal: controller.signal, method: 'POST' });
    const res = await pending;
    const reading = res.text();
    controller.abort(new Error('user left'));
    await expect(reading).rejects.toThrow('user left');
    await expect(aborted).resolves.toBe(true);

    const before = new AbortController();
    const hanging = await backend(() => {});
    const c2 = client({ service: 'abort2', discovery: [hanging.address] });
    const p = c2.request('/', { signal: before.signal });
    before.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
  });
});
