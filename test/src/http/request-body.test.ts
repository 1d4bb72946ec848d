import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { backend, sawAborted, trackedClients } from './servers.js';

const client = trackedClients();

/**
 * `request()` puts each attempt's body into undici's BodyReadable as soon as its head arrives;
 * these check that the attempts nobody reads still release their connections, and that the
 * body the caller gets behaves as `undici.request`'s.
 */
describe('request() bodies', () => {
  it("drains a retried attempt's small body, so its connection is reused", async () => {
    const b = await backend((_req, res, self) => {
      res.statusCode = self.hits === 1 ? 503 : 200;
      res.end(self.hits === 1 ? 'not now' : 'the answer');
    });
    const c = client({ service: 'drain', discovery: [b.address] });
    const res = await c.request('/');
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('the answer');
    expect(b.hits).toBe(2);
    expect(b.sockets.size).toBe(1);
  });

  it("cuts a retried attempt's large body rather than reading it, and answers from the next", async () => {
    const big = Buffer.alloc(256 * 1024, 120);
    const b = await backend((_req, res, self) => {
      if (self.hits === 1) {
        res.writeHead(503, { 'content-length': String(big.length) });
        res.end(big);
      } else {
        res.end('small');
      }
    });
    const c = client({ service: 'cut', discovery: [b.address] });
    const res = await c.request('/');
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('small');
    expect(b.hits).toBe(2);
  });

  it('streams a large body with backpressure, and keeps the last 503 readable once retries are spent', async () => {
    const chunk = Buffer.alloc(64 * 1024, 97);
    const b = await backend((req, res) => {
      if (req.url === '/unavailable') {
        res.statusCode = 503;
        res.end('still down');
        return;
      }
      let n = 0;
      const write = () => {
        while (n < 32) if (!res.write(chunk, () => {}) && ++n) return res.once('drain', write);
        res.end();
      };
      write();
    });
    const c = client({ service: 'stream', discovery: [b.address] });
    const res = await c.request('/');
    let bytes = 0;
    for await (const part of res.body) bytes += (part as Buffer).length;
    expect(bytes).toBe(32 * 64 * 1024);
    const last = await c.request('/unavailable');
    expect(last.statusCode).toBe(503);
    expect(await last.body.text()).toBe('still down');
  });

  it('answers HEAD with headers and an empty body', async () => {
    const b = await backend((_req, res) => {
      res.setHeader('content-length', '1234');
      res.end();
    });
    const c = client({ service: 'head', discovery: [b.address] });
    const res = await c.request('/', { method: 'HEAD' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-length']).toBe('1234');
    expect(await res.body.text()).toBe('');
  });

  it("keeps a caller's signal on the body until it ends: an abort mid-body closes the request", async () => {
    let aborted: Promise<boolean> | undefined;
    const b = await backend((req, res) => {
      if (req.url === '/whole') {
        res.setHeader('x-trailer-check', '1');
        res.end('done');
        return;
      }
      aborted = sawAborted(res);
      res.write('partial');
    });
    const c = client({ service: 'signal', discovery: [b.address] });
    const controller = new AbortController();
    const res = await c.request('/', { signal: controller.signal });
    const reading = res.body.text();
    controller.abort(new Error('user left'));
    await expect(reading).rejects.toThrow();
    await expect(aborted).resolves.toBe(true);

    const later = new AbortController();
    const whole = await c.request('/whole', { signal: later.signal });
    expect(await whole.body.text()).toBe('done');
    expect(whole.trailers).toEqual({});
    // The body ended: the call let go of the caller's signal.
    expect(getEventListeners(later.signal, 'abort')).toHaveLength(0);
    later.abort();
  });
});
