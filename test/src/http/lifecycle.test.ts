import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createHttpClient, withInbound } from '@outrigger/http';
import { describe, expect, it } from 'vitest';
import { backend, ManualDiscovery, sawAborted, trackedClients } from './servers.js';

const client = trackedClients();

describe('HTTP client lifecycle', () => {
  it('a discovery change mid-traffic loses nothing, and the old endpoint’s pool is closed', async () => {
    const a = await backend((_req, res) => setTimeout(() => res.end('a'), 2));
    const b = await backend((_req, res) => res.end('b'));
    const discovery = new ManualDiscovery([a.address]);
    const c = client({ service: 'moving', discovery });
    let done = 0;
    const results: string[] = [];
    const worker = async () => {
      while (done < 300) {
        done++;
        if (done === 100) discovery.set([b.address]);
        const res = await c.request('/');
        results.push(await res.body.text());
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(results).toHaveLength(300);
    expect(results.every((r) => r === 'a' || r === 'b')).toBe(true);
    expect(a.hits).toBeGreaterThan(0);
    expect(b.hits).toBeGreaterThan(100);
    expect(a.hits + b.hits).toBe(300);
    await a.drained();
    expect(a.sockets.size).toBe(0);
    expect(b.sockets.size).toBeGreaterThan(0);
  });

  it('an inbound deadline caps the outbound call of a two-hop chain and travels on', async () => {
    let downstreamSaw: number | undefined;
    let downstreamAborted: Promise<boolean> | undefined;
    const downstream = await backend((req, res) => {
      downstreamSaw = Number(req.headers['outrigger-timeout-ms']);
      downstreamAborted = sawAborted(res);
    });
    const toDownstream = client({ service: 'inventory', discovery: [downstream.address] });
    const front = await backend(
      withInbound(async (_req, res) => {
        try {
          await toDownstream.fetch('/reserve');
          res.end('unexpected');
        } catch (error) {
          res.statusCode = 504;
          res.end(`${(error as { code?: string }).code}`);
        }
      }),
    );
    const toFront = client({ service: 'orders', discovery: [front.address], retry: false });
    const started = performance.now();
    const res = await toFront.fetch('/', { headers: { 'outrigger-timeout-ms': '150' } });
    const took = performance.now() - started;
    expect(res.status).toBe(504);
    expect(await res.text()).toBe('TIMEOUT');
    expect(took).toBeLessThan(2_000);
    expect(downstreamSaw).toBeGreaterThan(0);
    expect(downstreamSaw).toBeLessThanOrEqual(150);
    await expect(downstreamAborted).resolves.toBe(true);
  });

  it('replays a streamed body within maxReplayBytes, and never one beyond it', async () => {
    const bodies: string[] = [];
    const b = await backend((req, res, self) => {
      let text = '';
      req.on('data', (c) => (text += c));
      req.on('end', () => {
        bodies.push(text);
        res.statusCode = self.hits % 2 === 1 ? 503 : 200;
        res.end();
      });
    });
    const c = client({ service: 'upload', discovery: [b.address], maxReplayBytes: 8 });
    const small = await c.fetch('/', { method: 'PUT', body: Readable.from(['abc', 'def']) });
    expect(small.status).toBe(200);
    expect(bodies).toEqual(['abcdef', 'abcdef']);
    bodies.length = 0;
    b.hits = 0;
    const big = await c.fetch('/', { method: 'PUT', body: Readable.from(['abcdef', 'ghijkl']) });
    expect(big.status).toBe(503);
    expect(bodies).toEqual(['abcdefghijkl']);
  });

  it("discards a retried attempt's body so its connection is reused", async () => {
    const b = await backend((_req, res, self) => {
      res.statusCode = self.hits === 1 ? 503 : 200;
      res.end('some body the caller never sees');
    });
    const c = client({ service: 'reuse', discovery: [b.address] });
    const res = await c.fetch('/');
    expect(res.status).toBe(200);
    await res.text();
    expect(b.hits).toBe(2);
    expect(b.sockets.size).toBe(1);
  });

  it('close() waits for calls in flight, then refuses new ones with CLIENT_CLOSED', async () => {
    const b = await backend((_req, res) => setTimeout(() => res.end('done'), 30));
    const c = createHttpClient({ service: 'closing', discovery: [b.address] });
    const inFlight = c.request('/');
    const closed = c.close();
    const res = await inFlight;
    expect(await res.body.text()).toBe('done');
    await closed;
    await expect(c.fetch('/')).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
    await b.drained();
  });

  it('a script that makes calls and closes its client exits on its own', async () => {
    const script = fileURLToPath(new URL('./fixtures/exit-after-close.mjs', import.meta.url));
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`did not exit within 10 s; handles left open (output: ${out})`));
      }, 10_000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(out.trim()).toBe('calls done: 200 200 TIMEOUT 503');
    expect(code).toBe(0);
  });
});
