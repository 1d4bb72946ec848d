/**
 * The spans' attributes exactly as the semantic conventions name them (HTTP and RPC), a
 * gRPC two-hop chain in one trace, baggage on every attempt, and telemetry failures that
 * never reach a call: a throwing span exporter, a throwing metric exporter.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { context, propagation } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import {
  AggregationTemporality,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createGrpcClient, outriggerInterceptor, withInboundService } from '@outrigger/grpc';
import { createHttpClient } from '@outrigger/http';
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

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const byAttempt = (spans: ReadableSpan[]) =>
  [...spans].sort(
    (a, b) => Number(a.attributes['outrigger.attempt']) - Number(b.attributes['outrigger.attempt']),
  );

type Say = (m: EchoMessage) => Promise<EchoMessage>;
const sayOf = (client: { unary: unknown }) => (client.unary as Record<string, Say>).Say!;

describe('semantic conventions, exactly', () => {
  it('HTTP: the call span and each attempt span carry exactly these attributes', async () => {
    tracing = setUpTracing();
    let n = 0;
    const address = await listen(
      createServer((_req, res) => {
        res.statusCode = ++n === 1 ? 503 : 201;
        res.end();
      }),
    );
    const [host, port] = address.split(':');
    const client = createHttpClient({ service: 'payments', discovery: [address], env: {} });
    closers.push(() => client.close());
    const res = await client.request('/charges?id=7&X-Goog-Signature=abc', {
      method: 'POST',
      idempotent: true,
    });
    await res.body.text();

    const spans = tracing.exporter.getFinishedSpans();
    const call = spans.find((s) => parentOf(s) === undefined)!;
    const [first, second] = byAttempt(
      spans.filter((s) => parentOf(s) === call.spanContext().spanId),
    );
    expect(call.name).toBe('POST');
    expect(call.attributes).toEqual({
      'http.request.method': 'POST',
      'url.full': 'http://payments/charges?id=7&X-Goog-Signature=REDACTED',
      'server.address': 'payments',
      'outrigger.service': 'payments',
      'http.response.status_code': 201,
    });
    const endpoint = {
      'server.address': host,
      'server.port': Number(port),
      'outrigger.endpoint': address,
    };
    expect(first!.attributes).toEqual({
      'http.request.method': 'POST',
      'url.full': 'http://payments/charges?id=7&X-Goog-Signature=REDACTED',
      'outrigger.service': 'payments',
      'outrigger.attempt': 1,
      ...endpoint,
      'http.response.status_code': 503,
      'error.type': '503',
    });
    expect(second!.attributes).toEqual({
      'http.request.method': 'POST',
      'url.full': 'http://payments/charges?id=7&X-Goog-Signature=REDACTED',
      'outrigger.service': 'payments',
      'outrigger.attempt': 2,
      'http.request.resend_count': 1,
      'outrigger.retry.reason': 'retryable',
      ...endpoint,
      'http.response.status_code': 201,
    });
  });

  it('gRPC: the call span and the attempt span carry exactly these attributes', async () => {
    tracing = setUpTracing();
    const server = new grpc.Server();
    server.addService(echoServiceDefinition, {
      Say(
        _call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>,
        cb: grpc.sendUnaryData<EchoMessage>,
      ) {
        cb({ code: grpc.status.NOT_FOUND, details: 'no such thing' });
      },
    });
    const { port } = await listenGrpc(server);
    closers.push(() => server.forceShutdown());
    const client = createGrpcClient(Echo, {
      service: 'echo',
      discovery: [`127.0.0.1:${port}`],
      env: {},
    });
    closers.push(() => client.close());
    await expect(sayOf(client)({ text: 'x', n: 0 })).rejects.toMatchObject({ code: 5 });

    const spans = tracing.exporter.getFinishedSpans();
    const call = spans.find((s) => parentOf(s) === undefined)!;
    const attempt = spans.find((s) => parentOf(s) === call.spanContext().spanId)!;
    const rpcService = String(call.attributes['rpc.service']);
    expect(rpcService).toMatch(/\.Echo$/);
    expect(call.name).toBe(`${rpcService}/Say`);
    const rpc = { 'rpc.system': 'grpc', 'rpc.service': rpcService, 'rpc.method': 'Say' };
    expect(call.attributes).toEqual({
      ...rpc,
      'server.address': 'echo',
      'outrigger.service': 'echo',
      'error.type': '5',
      'rpc.grpc.status_code': 5,
    });
    expect(attempt.attributes).toEqual({
      ...rpc,
      'outrigger.service': 'echo',
      'outrigger.attempt': 1,
      'server.address': '127.0.0.1',
      'server.port': port,
      'outrigger.endpoint': `127.0.0.1:${port}`,
      'error.type': '5',
      'rpc.grpc.status_code': 5,
    });
  });
});

describe('traces across hops', () => {
  it('gRPC interceptor: a call retried twice is one CLIENT span with three attempts, each metadata naming its own', async () => {
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
        cb(null, call.request);
      },
    });
    const { port } = await listenGrpc(server);
    closers.push(() => server.forceShutdown());
    const interceptor = outriggerInterceptor({
      service: 'echo',
      env: {},
      retry: { backoff: { baseMs: 1, maxMs: 5 } },
    });
    closers.push(() => interceptor.close());
    const raw = new Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      interceptors: [interceptor],
    });
    closers.push(() => raw.close());
    const reply = await new Promise<EchoMessage>((resolve, reject) =>
      (
        raw as unknown as {
          Say: (m: EchoMessage, cb: (e: unknown, r: EchoMessage) => void) => void;
        }
      ).Say({ text: 'hi', n: 0 }, (error, response) => (error ? reject(error) : resolve(response))),
    );
    expect(reply.text).toBe('hi');
    const spans = tracing.exporter.getFinishedSpans();
    const call = spans.filter((s) => parentOf(s) === undefined);
    expect(call).toHaveLength(1);
    const attempts = byAttempt(spans.filter((s) => parentOf(s) === call[0]!.spanContext().spanId));
    expect(attempts).toHaveLength(3);
    expect(seen.map((t) => t.split('-')[2])).toEqual(attempts.map((s) => s.spanContext().spanId));
    expect(attempts.map((s) => s.attributes['rpc.grpc.status_code'])).toEqual([14, 14, 0]);
    expect(call[0]!.attributes).toMatchObject({
      'rpc.system': 'grpc',
      'rpc.method': 'Say',
      'rpc.grpc.status_code': 0,
    });
    expect(call[0]!.name).toMatch(/\.Echo\/Say$/);
  });

  it('gRPC: client -> server helper -> client is one trace with the right parents', async () => {
    tracing = setUpTracing();
    let deepTraceparent: string | undefined;
    const deep = new grpc.Server();
    deep.addService(echoServiceDefinition, {
      Say(
        call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>,
        cb: grpc.sendUnaryData<EchoMessage>,
      ) {
        deepTraceparent = String(call.metadata.get('traceparent')[0]);
        cb(null, { text: `deep ${call.request.text}`, n: 2 });
      },
    });
    const deepPort = (await listenGrpc(deep)).port;
    closers.push(() => deep.forceShutdown());
    const inner = createGrpcClient(Echo, {
      service: 'ledger',
      discovery: [`127.0.0.1:${deepPort}`],
    });
    closers.push(() => inner.close());
    const front = new grpc.Server();
    front.addService(
      echoServiceDefinition,
      withInboundService({
        async Say(
          call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>,
          cb: grpc.sendUnaryData<EchoMessage>,
        ) {
          cb(null, await sayOf(inner)(call.request));
        },
      }),
    );
    const frontPort = (await listenGrpc(front)).port;
    closers.push(() => front.forceShutdown());
    const outer = createGrpcClient(Echo, {
      service: 'payments',
      discovery: [`127.0.0.1:${frontPort}`],
    });
    closers.push(() => outer.close());

    expect((await sayOf(outer)({ text: 'hi', n: 0 })).text).toBe('deep hi');
    const spans = tracing.exporter.getFinishedSpans();
    expect(spans).toHaveLength(4);
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    const of = (service: string) =>
      spans.filter((s) => s.attributes['outrigger.service'] === service);
    const paymentsCall = of('payments').find((s) => parentOf(s) === undefined)!;
    const paymentsAttempt = of('payments').find(
      (s) => parentOf(s) === paymentsCall.spanContext().spanId,
    )!;
    const ledgerCall = of('ledger').find((s) => s.attributes['outrigger.attempt'] === undefined)!;
    const ledgerAttempt = of('ledger').find(
      (s) => parentOf(s) === ledgerCall.spanContext().spanId,
    )!;
    expect(parentOf(ledgerCall)).toBe(paymentsAttempt.spanContext().spanId);
    expect(deepTraceparent?.split('-')[2]).toBe(ledgerAttempt.spanContext().spanId);
  });

  it('HTTP: baggage set by the caller rides on every attempt, next to its own traceparent', async () => {
    tracing = setUpTracing();
    const seen: Array<{ traceparent: string; baggage: string }> = [];
    let n = 0;
    const address = await listen(
      createServer((req: IncomingMessage, res) => {
        seen.push({
          traceparent: String(req.headers.traceparent),
          baggage: String(req.headers.baggage),
        });
        res.statusCode = ++n === 1 ? 503 : 200;
        res.end();
      }),
    );
    const client = createHttpClient({ service: 'payments', discovery: [address] });
    closers.push(() => client.close());
    const bag = propagation.createBaggage({ tenant: { value: 'acme' } });
    await context.with(propagation.setBaggage(context.active(), bag), async () => {
      await (await client.request('/')).body.text();
    });
    expect(seen).toHaveLength(2);
    expect(seen.map((s) => s.baggage)).toEqual(['tenant=acme', 'tenant=acme']);
    expect(new Set(seen.map((s) => s.traceparent)).size).toBe(2);
  });
});

describe('telemetry that fails never fails a call', () => {
  it('a span exporter that throws on every export', async () => {
    let exports = 0;
    const throwing: SpanExporter = {
      export() {
        exports++;
        throw new Error('exporter broke');
      },
      shutdown: async () => {},
    };
    tracing = setUpTracing({ spanProcessors: [new SimpleSpanProcessor(throwing)] });
    const address = await listen(createServer((_req, res) => res.end('fine')));
    const client = createHttpClient({ service: 'payments', discovery: [address] });
    closers.push(() => client.close());
    for (let i = 0; i < 3; i++) {
      expect(await (await client.request('/')).body.text()).toBe('fine');
    }
    expect(exports).toBeGreaterThanOrEqual(6); // it was called, and threw, for every span
  });

  it('a metric exporter that fails and a reader collecting all the while', async () => {
    let exports = 0;
    const failing: PushMetricExporter = {
      export(_metrics, done) {
        exports++;
        if (exports % 2 === 0) throw new Error('metric exporter broke');
        done({ code: ExportResultCode.FAILED, error: new Error('backend down') });
      },
      forceFlush: async () => {},
      shutdown: async () => {},
      selectAggregationTemporality: () => AggregationTemporality.CUMULATIVE,
    };
    const meterProvider = new MeterProvider({
      readers: [
        new PeriodicExportingMetricReader({ exporter: failing, exportIntervalMillis: 100 }),
      ],
    });
    closers.push(() => meterProvider.shutdown().catch(() => {}));
    const address = await listen(createServer((_req, res) => res.end('fine')));
    const client = createHttpClient({ service: 'payments', discovery: [address], meterProvider });
    closers.push(() => client.close());
    const started = Date.now();
    let calls = 0;
    while (exports < 3 && Date.now() - started < 2_000) {
      expect(await (await client.request('/')).body.text()).toBe('fine');
      calls++;
    }
    expect(exports).toBeGreaterThanOrEqual(3);
    expect(calls).toBeGreaterThan(0);
  });
});
