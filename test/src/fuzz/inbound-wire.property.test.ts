import { createServer, type Server } from 'node:http';
import { type ClientHttp2Session, connect, constants } from 'node:http2';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { context, propagation, trace } from '@opentelemetry/api';
import { currentInbound, systemClock } from '@outrigger/core';
import { withInboundService } from '@outrigger/grpc';
import { createHttpClient, withInbound } from '@outrigger/http';
import fc from 'fast-check';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { setUpTracing, type Tracing } from '../telemetry/support/otel.js';

/**
 * Fuzzed inputs, on the wire: `traceparent`, `tracestate`, `baggage`, the deadline
 * header and `grpc-timeout` as a caller sends them, through the real W3C propagators (an SDK is
 * registered) and the real servers. Whatever they hold, the request is served; the trace goes on
 * from the caller's span when `traceparent` is valid and starts afresh when not; an outbound call
 * made while serving sends a well-formed `traceparent` of its own.
 */

// A property runs many cases: room for a loaded CI machine (each case has its own fast-check timeout).
vi.setConfig({ testTimeout: 30_000 });

/** The W3C propagator's own rule (trace-context level 1): version 00 takes nothing after flags. */
const VALID_TRACEPARENT =
  /^((?!ff)[\da-f]{2})-((?![0]{32})[\da-f]{32})-((?![0]{16})[\da-f]{16})-([\da-f]{2})(-.*)?$/;
const WELL_FORMED = /^00-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;

function isValidTraceparent(text: string): boolean {
  const match = VALID_TRACEPARENT.exec(text.trim());
  return match !== null && !(match[1] === '00' && match[5] !== undefined);
}

/** Header text an HTTP client can send: visible ASCII and spaces, not at either end. */
const visible = fc.stringMatching(/^[!-~]([ -~]{0,60}[!-~])?$/);
const traceparent = fc.oneof(
  visible,
  fc
    .tuple(
      fc.constantFrom('00', '01', 'ff', '0g', '0'),
      fc.stringMatching(/^[\da-f]{32}$/),
      fc.stringMatching(/^[\da-f]{16}$/),
      fc.constantFrom('00', '01', 'zz', '1'),
      fc.constantFrom('', '-extra', '-'),
    )
    .map(([v, t, s, f, rest]) => `${v}-${t}-${s}-${f}${rest}`),
  fc.constantFrom(
    `00-${'0'.repeat(32)}-${'1'.repeat(16)}-01`,
    `00-${'a'.repeat(32)}-${'0'.repeat(16)}-01`,
  ),
);
const tracestate = fc.oneof(
  visible,
  fc.stringMatching(/^([a-z0-9_*/@-]{1,8}=[!-+--<>-~]{0,6},?){0,4}$/),
);
const baggage = fc.oneof(
  visible,
  fc.stringMatching(/^([A-Za-z0-9%]{1,6}=[A-Za-z0-9%;=]{0,6},?){0,4}$/),
);
const deadlineHeader = fc.oneof(
  visible,
  fc.nat({ max: 100_000 }).map(String),
  fc.constantFrom('0', '1.5', '-5', '1e3', '999999999999999999999'),
);

const headersArb = fc.record(
  { traceparent, tracestate, baggage, 'outrigger-timeout-ms': deadlineHeader },
  { requiredKeys: [] },
);

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

describe('inbound trace context and deadline over HTTP', () => {
  let tracing: Tracing;
  let back: Server;
  let front: Server;
  let frontAddress: string;
  let inner: ReturnType<typeof createHttpClient>;
  let received: { traceparent: string | undefined; deadline: string | undefined } = {
    traceparent: undefined,
    deadline: undefined,
  };

  beforeAll(async () => {
    tracing = setUpTracing();
    back = createServer((req, res) => {
      const { traceparent, 'outrigger-timeout-ms': deadline } = req.headers;
      received = {
        traceparent: typeof traceparent === 'string' ? traceparent : undefined,
        deadline: typeof deadline === 'string' ? deadline : undefined,
      };
      res.end('deep');
    });
    inner = createHttpClient({
      service: 'fuzz-back',
      discovery: [await listen(back)],
      retry: false,
    });
    front = createServer(
      withInbound(async (_req, res) => {
        try {
          const r = await inner.request('/deep');
          res.end(await r.body.text());
        } catch (error) {
          res.statusCode = 599;
          res.end((error as { code?: string }).code ?? 'error');
        }
      }),
    );
    frontAddress = await listen(front);
  });

  afterAll(async () => {
    await inner?.close();
    await new Promise((resolve) => front?.close(resolve));
    await new Promise((resolve) => back?.close(resolve));
    await tracing?.shutdown();
  });

  it('serves every request and passes on a well-formed traceparent, continuing only a valid one', async () => {
    await fc.assert(
      fc.asyncProperty(headersArb, async (headers) => {
        received = { traceparent: undefined, deadline: undefined };
        const res = await request(`http://${frontAddress}/front`, { headers });
        const body = await res.body.text();
        // A deadline of 0 or 1 ms may run out before the inner call: refused as a TIMEOUT, still an answer.
        if (res.statusCode === 599) {
          expect(body).toBe('TIMEOUT');
          return;
        }
        expect(res.statusCode).toBe(200);
        expect(body).toBe('deep');
        expect(received.traceparent).toMatch(WELL_FORMED);
        if (headers.traceparent !== undefined && isValidTraceparent(headers.traceparent)) {
          expect(received.traceparent!.slice(3, 35)).toBe(headers.traceparent.trim().slice(3, 35));
        }
        if (received.deadline !== undefined) expect(received.deadline).toMatch(/^\d+$/);
      }),
      { numRuns: 30, timeout: 5_000 },
    );
    tracing.exporter.reset();
  });
});

const METHOD = '/fuzz.Fuzz/Call';
const identity = {
  path: METHOD,
  requestStream: false,
  responseStream: false,
  requestSerialize: (b: Buffer) => b,
  requestDeserialize: (b: Buffer) => b,
  responseSerialize: (b: Buffer) => b,
  responseDeserialize: (b: Buffer) => b,
};

/** The gRPC-over-HTTP/2 timeout grammar: 1 to 8 digits and a unit. */
const GRPC_TIMEOUT = /^(\d{1,8})([HMSmun])$/;
const INT32_MAX = 2 ** 31 - 1;
const UNIT_MS: Record<string, number> = {
  H: 3_600_000,
  M: 60_000,
  S: 1_000,
  m: 1,
  u: 1e-3,
  n: 1e-6,
};

describe('grpc-timeout and trace metadata over HTTP/2', () => {
  let tracing: Tracing;
  let server: grpc.Server;
  let session: ClientHttp2Session;
  let seen: { deadline: number | undefined; at: number; traceId: string | undefined } | undefined;

  beforeAll(async () => {
    tracing = setUpTracing();
    server = new grpc.Server();
    server.addService(
      { Call: identity } as unknown as grpc.ServiceDefinition,
      withInboundService({
        Call(_call: unknown, callback: (error: null, value: Buffer) => void) {
          seen = {
            deadline: currentInbound()?.deadline,
            at: systemClock.now(),
            traceId: trace.getSpanContext(context.active())?.traceId,
          };
          propagation.getBaggage(context.active())?.getAllEntries();
          callback(null, Buffer.alloc(0));
        },
      }),
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    session = connect(`http://127.0.0.1:${port}`);
    await new Promise((resolve) => session.once('connect', resolve));
  });

  afterAll(async () => {
    session?.close();
    server?.forceShutdown();
    await tracing?.shutdown();
  });

  /** One unary call with hand-written headers: grpc-js's client would not send a bad grpc-timeout. */
  function call(headers: Record<string, string>): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      const stream = session.request({
        [constants.HTTP2_HEADER_METHOD]: 'POST',
        [constants.HTTP2_HEADER_PATH]: METHOD,
        'content-type': 'application/grpc',
        te: 'trailers',
        ...headers,
      });
      let status: string | undefined;
      stream.on('response', (h) => {
        if (h['grpc-status'] !== undefined) status = String(h['grpc-status']);
      });
      stream.on('trailers', (t) => {
        status = String(t['grpc-status']);
      });
      stream.on('data', () => {});
      stream.on('end', () => resolve(status));
      stream.on('error', reject);
      stream.setTimeout(5_000, () => reject(new Error('no answer in 5 s')));
      stream.end(Buffer.from([0, 0, 0, 0, 0]));
    });
  }

  it('answers every call; a valid grpc-timeout bounds the deadline, and only a valid traceparent is continued', async () => {
    const timeout = fc.oneof(
      fc
        .tuple(
          fc.integer({ min: 0, max: 99_999_999 }),
          fc.constantFrom('H', 'M', 'S', 'm', 'u', 'n'),
        )
        .map(([n, u]) => `${n}${u}`),
      fc.stringMatching(/^[0-9]{9,12}[HMSmun]$/),
      fc.constantFrom('', '1', 'S', '-1S', '1.5S', '1s', '1 S', '0m', ' 10m', 'InfinityS'),
      visible,
    );
    await fc.assert(
      fc.asyncProperty(
        fc.option(timeout, { nil: undefined }),
        fc.option(traceparent, { nil: undefined }),
        baggage,
        async (grpcTimeout, parent, bag) => {
          seen = undefined;
          const headers: Record<string, string> = { baggage: bag };
          if (grpcTimeout !== undefined) headers['grpc-timeout'] = grpcTimeout;
          if (parent !== undefined) headers.traceparent = parent;
          const sentAt = systemClock.now();
          const status = await call(headers);
          expect(status).toBeDefined();
          const valid = grpcTimeout === undefined ? undefined : GRPC_TIMEOUT.exec(grpcTimeout);
          if (status !== '0') {
            // grpc-js refuses a timeout it cannot read, or one already spent; nothing else.
            expect(grpcTimeout !== undefined).toBe(true);
            return;
          }
          expect(seen).toBeDefined();
          const ms = valid ? Number(valid[1]) * UNIT_MS[valid[2]!]! : Number.NaN;
          // grpc-js 1.14 reads the timeout through `| 0`: beyond 2^31 - 1 ms (24.8 days) it wraps
          // around, to a deadline in the past or a shorter one, and its own timer ends the call.
          // Outrigger cannot mend the deadline it is given; only an answer is promised there.
          if (valid && ms <= INT32_MAX) {
            expect(seen!.deadline).toBeDefined();
            expect(seen!.deadline!).toBeLessThanOrEqual(systemClock.now() + ms + 5);
            expect(seen!.deadline!).toBeGreaterThanOrEqual(sentAt + Math.floor(ms) - 5);
          }
          if (parent !== undefined && isValidTraceparent(parent)) {
            expect(seen!.traceId).toBe(parent.trim().slice(3, 35));
          }
        },
      ),
      { numRuns: 40, timeout: 5_000 },
    );
  });
});
