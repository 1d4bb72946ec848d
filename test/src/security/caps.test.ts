/**
 * Every buffer or wait that something outside the process can grow has a bound, by default
 * (the ones this file does not cover are tested elsewhere: `maxReplayBytes` set small in
 * test/src/http/lifecycle.test.ts and packages/grpc/src/client.test.ts, `retryAfterMaxMs` set
 * small in test/src/http/failure-modes.test.ts, the TLS files' 1 MiB in core's tls-files.test.ts,
 * Consul and Kubernetes answers in their own suites). Here, with default settings:
 *
 * - a streamed request body over 1 MiB is sent once and never held for a replay;
 * - response headers over undici's 16 KiB fail the attempt instead of being buffered;
 * - a Retry-After or grpc-retry-pushback-ms asking for hours is not waited for: the call gives
 *   up at once (default cap 10 s);
 * - a gRPC reply over grpc-js's 4 MiB receive limit fails as RESOURCE_EXHAUSTED.
 */
import { Readable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { createGrpcClient } from '@outrigger/grpc';
import { createHttpClient, type HttpClient } from '@outrigger/http';
import { afterEach, describe, expect, it } from 'vitest';
import { Echo, type EchoMessage, echoServiceDefinition } from '../grpc/support/protos.js';
import { listenGrpc } from '../grpc/support/test-service.js';
import { backend, closeBackends } from '../http/servers.js';

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await closeBackends();
});

function http(options: Parameters<typeof createHttpClient>[0]): HttpClient {
  const c = createHttpClient(options);
  closers.push(() => c.close());
  return c;
}

function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
  }
  return codes;
}

/** `total` bytes in 64 KiB chunks, as a stream (never a Buffer, which would be replayable as is). */
function streamOf(total: number): Readable {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let left = total;
  return new Readable({
    read() {
      if (left <= 0) return this.push(null);
      const n = Math.min(left, chunk.length);
      left -= n;
      this.push(chunk.subarray(0, n));
    },
  });
}

describe('caps on what callers and servers can make Outrigger hold', () => {
  it('replays a streamed body up to 1 MiB by default, and sends a longer one once, unbuffered', async () => {
    const received: number[] = [];
    const b = await backend((req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => {
        received.push(n);
        res.statusCode = 503;
        res.end();
      });
    });
    const c = http({ service: 'upload', discovery: [b.address] });
    const small = await c.fetch('/', {
      method: 'PUT',
      body: streamOf(1024 * 1024),
      duplex: 'half',
    });
    expect(small.status).toBe(503);
    expect(received.length).toBeGreaterThan(1); // replayed
    received.length = 0;
    const big = await c.fetch('/', {
      method: 'PUT',
      body: streamOf(1024 * 1024 + 1),
      duplex: 'half',
    });
    expect(big.status).toBe(503);
    expect(received).toEqual([1024 * 1024 + 1]); // sent once, never replayed
  });

  it('fails an attempt whose response headers exceed 16 KiB instead of buffering them', async () => {
    const b = await backend((_req, res) => {
      res.writeHead(200, { 'x-huge': 'y'.repeat(64 * 1024) });
      res.end('never read');
    });
    const c = http({ service: 'headers', discovery: [b.address], retry: false });
    const error = await c.fetch('/').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(codesOf(error)).toContain('UND_ERR_HEADERS_OVERFLOW');
    expect(b.hits).toBe(1);
  });

  it('does not wait for a Retry-After of hours (seconds or an HTTP date): the call gives up at once', async () => {
    for (const retryAfter of ['86400', 'Fri, 31 Dec 9999 23:59:59 GMT']) {
      const b = await backend((_req, res) => {
        res.writeHead(503, { 'retry-after': retryAfter });
        res.end();
      });
      const c = http({ service: 'pushy', discovery: [b.address] });
      const started = performance.now();
      expect((await c.fetch('/')).status).toBe(503);
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(b.hits).toBe(1);
    }
  });

  it('does not wait for a grpc-retry-pushback-ms of an hour, and refuses a reply over 4 MiB', async () => {
    let calls = 0;
    const server = new grpc.Server();
    server.addService(echoServiceDefinition, {
      Say(
        call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>,
        cb: grpc.sendUnaryData<EchoMessage>,
      ) {
        calls++;
        if (call.request.text === 'big') {
          return cb(null, { text: 'z'.repeat(5 * 1024 * 1024), n: 0 });
        }
        const trailers = new grpc.Metadata();
        trailers.set('grpc-retry-pushback-ms', '3600000');
        cb({ code: grpc.status.UNAVAILABLE, details: 'later', metadata: trailers });
      },
    });
    const { address } = await listenGrpc(server);
    closers.push(() => server.forceShutdown());
    const client = createGrpcClient(Echo, { service: 'echo', discovery: [address] });
    closers.push(() => client.close());
    const say = (text: string) =>
      new Promise<grpc.ServiceError | null>((resolve) =>
        (
          client as unknown as {
            Say(m: EchoMessage, cb: grpc.requestCallback<EchoMessage>): void;
          }
        ).Say({ text, n: 0 }, (error) => resolve(error)),
      );
    const started = performance.now();
    expect((await say('pushback'))?.code).toBe(grpc.status.UNAVAILABLE);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(calls).toBe(1);

    expect((await say('big'))?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });
});
