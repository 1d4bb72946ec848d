/**
 * Spans for calls and attempts: one CLIENT span per logical call with a
 * child span per attempt, each attempt's outgoing trace headers naming that attempt's span; the
 * semantic-convention attributes; a two-hop chain in one trace; a throwing span processor that
 * fails no call. With the SDK's in-memory exporter, for HTTP and gRPC.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createGrpcClient } from '@outrigger/grpc';
import { createHttpClient, withInbound } from '@outrigger/http';
import { afterEach, describe, expect, it } from 'vitest';
import { Echo, type EchoMessage, echoServiceDefinition } from '../grpc/support/protos.js';
import { listenGrpc } from '../grpc/support/test-service.js';
import { setUpTracing, type Tracing } from './support/otel.js';

const closers: Array<() => unknown> = [];
let tracing: Tracing | undefined;
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await tracing?.shutdown();
  tracing = undefined;
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The span id in a W3C traceparent header. */
function spanIdOf(traceparent: string | undefined): string | undefined {
  return traceparent?.split('-')[2];
}

function byStart(spans: readonly ReadableSpan[]): ReadableSpan[] {
  return [...spans].sort(
    (a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1],
  );
}

function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

describe('HTTP spans', () => {
  it('a call retried twice: one CLIENT span, three attempt children, each header naming its own', async () => {
    tracing = setUpTracing();
    const seen: string[] = [];
    let n = 0;
    const address = await listen(
      createServer((req: IncomingMessage, res) => {
        seen.push(String(req.headers.traceparent));
        res.statusCode = ++n <= 2 ? 503 : 200;
        res.end('ok');
      }),
    );
    const client = createHttpClient({ service: 'payments', discovery: [address] });
    closers.push(() => client.close());
    const res = await client.request('/charges/42?sig=secret&x=1');
    expect(res.statusCode).toBe(200);
    await res.body.text();

    const spans = tracing.exporter.getFinishedSpans();
    const call = spans.filter((s) => parentOf(s) === undefined);
    expect(call).toHaveLength(1);
    const attempts = byStart(spans.filter((s) => parentOf(s) === call[0]!.spanContext().spanId));
    expect(attempts).toHaveLength(3);
    expect(spans).toHaveLength(4);
    for (const span of spans) {
      expect(span.kind).toBe(SpanKind.CLIENT);
      expect(span.name).toBe('GET');
      expect(span.spanContext().traceId).toBe(call[0]!.spanContext().traceId);
    }
    // Each attempt's traceparent carries that attempt's span id, in order.
    expect(seen.map(spanIdOf)).toEqual(attempts.map((s) => s.spanContext().spanId));

    const [host, port] = address.split(':');
    expect(call[0]!.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.full': 'http://payments/charges/42?sig=REDACTED&x=1',
      'http.response.status_code': 200,
      'outrigger.service': 'payments',
    });
    expect(attempts.map((s) => s.attributes['http.response.status_code'])).toEqual([503, 503, 200]);
    expect(attempts.map((s) => s.attributes['outrigger.attempt'])).toEqual([1, 2, 3]);
    expect(attempts.map((s) => s.attributes['http.request.resend_count'])).toEqual([
      undefined,
      1,
      2,
    ]);
    for (const attempt of attempts) {
      expect(attempt.attributes['server.address']).toBe(host);
      expect(attempt.attributes['server.port']).toBe(Number(port));
    }
    expect(attempts[0]!.attributes['error.type']).toBe('503');
    expect(attempts[0]!.status.code).toBe(SpanStatusCode.ERROR);
    expect(call[0]!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('a two-hop chain (client -> server helper -> client) is one trace with the right parents', async () => {
    tracing = setUpTracing();
    let lastTraceparent: string | undefined;
    const last = await listen(
      createServer((req, res) => {
        lastTraceparent = String(req.headers.traceparent);
        res.end('deep');
      }),
    );
    const inner = createHttpClient({ service: 'ledger', discovery: [last] });
    closers.push(() => inner.close());
    const front = await listen(
      createServer(
        withInbound(async (_req, res) => {
          const r = await inner.request('/entries');
          res.end(await r.body.text());
        }),
      ),
    );
    const outer = createHttpClient({ service: 'payments', discovery: [front] });
    closers.push(() => outer.close());
    const res = await outer.request('/charge');
    expect(await res.body.text()).toBe('deep');

    const spans = tracing.exporter.getFinishedSpans();
    expect(spans).toHaveLength(4);
    const traceIds = new Set(spans.map((s) => s.spanContext().traceId));
    expect(traceIds.size).toBe(1);
    const payments = spans.filter((s) => s.attributes['outrigger.service'] === 'payments');
    const ledger = spans.filter((s) => s.attributes['outrigger.service'] === 'ledger');
    const paymentsCall = payments.find((s) => parentOf(s) === undefined)!;
    const paymentsAttempt = payments.find(
      (s) => parentOf(s) === paymentsCall.spanContext().spanId,
    )!;
    const ledgerCall = ledger.find((s) => s.attributes['outrigger.attempt'] === undefined)!;
    const ledgerAttempt = ledger.find((s) => parentOf(s) === ledgerCall.spanContext().spanId)!;
    // The server helper made the front's inbound context (the payments attempt) the parent.
    expect(parentOf(ledgerCall)).toBe(paymentsAttempt.spanContext().spanId);
    expect(spanIdOf(lastTraceparent)).toBe(ledgerAttempt.spanContext().spanId);
  });

  it('a throwing span processor fails no call', async () => {
    tracing = setUpTracing({
      spanProcessors: [
        {
          onStart: () => {
            throw new Error('processor broke on start');
          },
          onEnd: () => {
            throw new Error('processor broke on end');
          },
          forceFlush: async () => {},
          shutdown: async () => {},
        },
      ],
    });
    const address = await listen(createServer((_req, res) => res.end('fine')));
    const client = createHttpClient({ service: 'payments', discovery: [address] });
    closers.push(() => client.close());
    for (let i = 0; i < 3; i++) {
      const res = await client.request('/');
      expect(await res.body.text()).toBe('fine');
    }
  });

  it('telemetry: false (or OUTRIGGER_<SERVICE>_TELEMETRY=off) makes no span', async () => {
    tracing = setUpTracing();
    const address = await listen(createServer((_req, res) => res.end('x')));
    const off = createHttpClient({ service: 'quiet', discovery: [address], telemetry: false });
    const envOff = createHttpClient({
      service: 'quieter',
      discovery: [address],
      env: { OUTRIGGER_QUIETER_TELEMETRY: 'off' },
    });
    closers.push(
      () => off.close(),
      () => envOff.close(),
    );
    await (await off.request('/')).body.text();
    await (await envOff.request('/')).body.text();
    expect(tracing.exporter.getFinishedSpans()).toHaveLength(0);
    expect(off.describe()).toMatch(/ 1\. telemetry\s+off/);
  });

  it('a client made before the SDK is registered traces from the registration on', async () => {
    const seen: (string | undefined)[] = [];
    const address = await listen(
      createServer((req, res) => {
        seen.push(req.headers.traceparent as string | undefined);
        res.end('x');
      }),
    );
    const early = createHttpClient({ service: 'early', discovery: [address] });
    closers.push(() => early.close());
    await (await early.request('/')).body.text();
    tracing = setUpTracing();
    await (await early.request('/')).body.text();
    const spans = tracing.exporter.getFinishedSpans();
    const call = spans.find((s) => s.kind === SpanKind.CLIENT && parentOf(s) === undefined);
    expect(spans).toHaveLength(2);
    expect(call).toBeDefined();
    // The attempt's header names the attempt span, a child of the call span.
    const attempt = spans.find((s) => s !== call)!;
    expect(parentOf(attempt)).toBe(call!.spanContext().spanId);
    expect(seen[0]).toBeUndefined();
    expect(spanIdOf(seen[1])).toBe(attempt.spanContext().spanId);
  });
});

describe('gRPC spans', () => {
  it('a call retried twice: one CLIENT span, three attempt children, each metadata naming its own', async () => {
    tracing = setUpTracing();
    const seen: string[] = [];
    let n = 0;
    const server = new grpc.Server();
    server.addService(echoServiceDefinition, {
      Say(
        call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>,
        cb: grpc.sendUnaryData<EchoMessage>,
      ) {
        seen.push(String(call.metadata.get('traceparent')[0]));
        if (++n <= 2) return cb({ code: grpc.status.UNAVAILABLE, details: 'not now' });
        cb(null, { text: call.request.text, n: 3 });
      },
    });
    const { port } = await listenGrpc(server);
    closers.push(() => server.forceShutdown());
    const client = createGrpcClient(Echo, { service: 'echo', discovery: [`127.0.0.1:${port}`] });
    closers.push(() => client.close());
    const reply = await (client.unary as Record<string, (m: EchoMessage) => Promise<EchoMessage>>)
      .Say!({ text: 'hi', n: 0 });
    expect(reply.text).toBe('hi');

    const spans = tracing.exporter.getFinishedSpans();
    const call = spans.filter((s) => parentOf(s) === undefined);
    expect(call).toHaveLength(1);
    const attempts = byStart(spans.filter((s) => parentOf(s) === call[0]!.spanContext().spanId));
    expect(attempts).toHaveLength(3);
    expect(seen.map(spanIdOf)).toEqual(attempts.map((s) => s.spanContext().spanId));
    for (const span of spans) {
      expect(span.kind).toBe(SpanKind.CLIENT);
      expect(span.name).toMatch(/^[\w.]+\.Echo\/Say$/);
      expect(span.attributes).toMatchObject({
        'rpc.system': 'grpc',
        'rpc.method': 'Say',
      });
      expect(String(span.attributes['rpc.service'])).toMatch(/\.Echo$/);
    }
    expect(attempts.map((s) => s.attributes['rpc.grpc.status_code'])).toEqual([14, 14, 0]);
    expect(attempts.map((s) => s.attributes['error.type'])).toEqual(['14', '14', undefined]);
    expect(attempts[2]!.attributes['server.port']).toBe(port);
    expect(call[0]!.attributes['rpc.grpc.status_code']).toBe(0);
  });
});
