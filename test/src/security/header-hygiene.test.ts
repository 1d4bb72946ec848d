/**
 * Credentials stay with the host they were meant for, and out of everything Outrigger writes.
 *
 * - The client's `fetch` and `request` return a redirect instead of following it, so a server
 *   cannot send a caller's `Authorization` or cookies to another host; the interceptor under
 *   undici's own `fetch` (which does follow) relies on undici dropping them across origins.
 * - A call carrying a bearer token, a cookie and an API key, failed in every way a call can fail
 *   (timeout, 5xx, refused connection, open breaker, redirect refused), leaves none of them in
 *   the errors (message, cause chain, inspected form), `describe()`, `snapshot()`, the spans
 *   (names, attributes, events, status), the metric points, or process warnings.
 */
import { inspect } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';
import { createGrpcClient } from '@outrigger/grpc';
import { createHttpClient, type HttpClient, outriggerInterceptor } from '@outrigger/http';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { Echo, type EchoMessage, echoServiceDefinition } from '../grpc/support/protos.js';
import { listenGrpc } from '../grpc/support/test-service.js';
import { backend, closeBackends, deadAddress } from '../http/servers.js';
import {
  type Metrics,
  setUpMetrics,
  setUpTracing,
  type Tracing,
} from '../telemetry/support/otel.js';

const TOKEN = 'secret-token-123';
const COOKIE = 'secret-cookie-456';
const API_KEY = 'secret-key-789';
const SECRETS = [TOKEN, COOKIE, API_KEY];
const CREDENTIALS = {
  authorization: `Bearer ${TOKEN}`,
  cookie: `session=${COOKIE}`,
  'x-api-key': API_KEY,
};

let closers: Array<() => unknown> = [];
let tracing: Tracing | undefined;
let metrics: Metrics | undefined;
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  closers = [];
  await closeBackends();
  await tracing?.shutdown();
  await metrics?.shutdown();
  tracing = undefined;
  metrics = undefined;
});

function http(options: Parameters<typeof createHttpClient>[0]): HttpClient {
  const c = createHttpClient(options);
  closers.push(() => c.close());
  return c;
}

/** Everything an error shows: message, stack, every cause, and the inspected object. */
function errorText(error: unknown): string {
  const parts: string[] = [inspect(error, { depth: 10, showHidden: true })];
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    parts.push(e.message, String(e.stack), JSON.stringify(e));
  }
  return parts.join('\n');
}

function expectNoSecret(text: string, where: string): void {
  for (const secret of SECRETS) {
    expect(text.includes(secret), `${secret} in ${where}`).toBe(false);
  }
}

describe('credentials and redirects', () => {
  it('returns a redirect to another host instead of following it, so the other host sees nothing', async () => {
    const other = await backend((_req, res) => res.end('stolen'));
    const origin = await backend((_req, res) => {
      res.writeHead(302, { location: `http://${other.address}/steal` });
      res.end();
    });
    const c = http({ service: 'payments', discovery: [origin.address] });
    for (const redirect of [undefined, 'follow', 'manual'] as const) {
      const res = await c.fetch('/charges', {
        headers: CREDENTIALS,
        ...(redirect && { redirect }),
      });
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe(`http://${other.address}/steal`);
    }
    const viaRequest = await c.request('/charges', { headers: CREDENTIALS });
    expect(viaRequest.statusCode).toBe(302);
    await viaRequest.body.dump();
    const refused = await c.fetch('/charges', { headers: CREDENTIALS, redirect: 'error' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(Error);
    expectNoSecret(errorText(refused), 'the redirect: "error" rejection');
    expect(other.hits).toBe(0);
  });

  it('under undici fetch (which follows), the interceptor leaves undici to drop credentials across hosts', async () => {
    const seen: Array<Record<string, string | string[] | undefined>> = [];
    const other = await backend((req, res) => {
      seen.push(req.headers);
      res.end('other');
    });
    const origin = await backend((_req, res) => {
      res.writeHead(307, { location: `http://${other.address}/next` });
      res.end();
    });
    const interceptor = outriggerInterceptor({ service: 'payments', discovery: [origin.address] });
    const agent = new Agent().compose(interceptor);
    closers.push(
      () => interceptor.close(),
      () => agent.close(),
    );
    const res = await undiciFetch('http://payments/charges', {
      dispatcher: agent,
      headers: { ...CREDENTIALS, 'proxy-authorization': `Basic ${TOKEN}` },
    });
    expect(await res.text()).toBe('other');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.authorization).toBeUndefined();
    expect(seen[0]!.cookie).toBeUndefined();
    expect(seen[0]!['proxy-authorization']).toBeUndefined();
  });
});

describe('credentials never appear in what Outrigger writes', () => {
  it('HTTP: errors, describe(), snapshot(), spans and metrics of failed calls hold no header value', async () => {
    tracing = setUpTracing();
    metrics = setUpMetrics();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(errorText(w));
    process.on('warning', onWarning);
    closers.push(() => process.off('warning', onWarning));

    const hang = await backend(() => {}); // never answers
    const failing = await backend((_req, res) => {
      res.statusCode = 503;
      res.end(`unavailable, you sent ${_req.headers.authorization}`);
    });
    const redirecting = await backend((_req, res) => {
      res.writeHead(302, { location: '/elsewhere' });
      res.end();
    });
    const dead = await deadAddress();
    const errors: unknown[] = [];
    const capture = async (p: Promise<unknown>) => {
      try {
        const r = await p;
        if (r instanceof Response || (r && typeof (r as Response).text === 'function'))
          await (r as Response).text();
      } catch (e) {
        errors.push(e);
      }
    };

    const timeouts = http({
      service: 'hangs',
      discovery: [hang.address],
      timeout: { totalMs: 60 },
    });
    // A token in the query too (RFC 6750 allows access_token there): redacted from url.full.
    await capture(timeouts.fetch(`/a?id=7&access_token=${TOKEN}`, { headers: CREDENTIALS }));
    await capture(timeouts.request('/a', { headers: CREDENTIALS }));

    const fives = http({ service: 'fails', discovery: [failing.address] });
    for (let i = 0; i < 3; i++) await capture(fives.fetch('/b', { headers: CREDENTIALS }));

    const refused = http({
      service: 'refuses',
      discovery: [dead],
      breaker: { volumeThreshold: 2, errorThresholdPercent: 50 },
    });
    for (let i = 0; i < 6; i++) await capture(refused.fetch('/c', { headers: CREDENTIALS }));
    await capture(refused.request('/c', { method: 'POST', headers: CREDENTIALS, body: 'x' }));

    const redirects = http({ service: 'redirects', discovery: [redirecting.address] });
    await capture(redirects.fetch('/d', { headers: CREDENTIALS, redirect: 'error' }));

    // The failures happened and were of several kinds.
    const codes = new Set<string>();
    for (const error of errors) {
      for (let e: unknown = error; e instanceof Error; e = e.cause) {
        const code = (e as { code?: unknown }).code;
        if (typeof code === 'string') codes.add(code);
      }
    }
    expect(errors.length).toBeGreaterThanOrEqual(9);
    expect(codes.size).toBeGreaterThanOrEqual(3);

    for (const [i, e] of errors.entries()) expectNoSecret(errorText(e), `error ${i}`);
    for (const c of [timeouts, fives, refused, redirects]) {
      expectNoSecret(c.describe(), 'describe()');
      expectNoSecret(JSON.stringify(c.snapshot()), 'snapshot()');
    }
    const spans = tracing.exporter.getFinishedSpans();
    expect(spans.length).toBeGreaterThan(10);
    expectNoSecret(
      JSON.stringify(spans.map((s) => [s.name, s.attributes, s.events, s.status, s.links])),
      'spans',
    );
    expect(spans.map((s) => s.attributes['url.full'])).toContain(
      'http://hangs/a?id=7&access_token=REDACTED',
    );
    expectNoSecret(JSON.stringify(await metrics.collect()), 'metrics');
    expectNoSecret(warnings.join('\n'), 'process warnings');
  });

  it('gRPC: errors, describe(), snapshot() and spans of failed calls hold no metadata value', async () => {
    tracing = setUpTracing();
    const server = new grpc.Server();
    server.addService(echoServiceDefinition, {
      Say(
        call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>,
        cb: grpc.sendUnaryData<EchoMessage>,
      ) {
        if (call.request.text === 'hang') return;
        cb({ code: grpc.status.UNAVAILABLE, details: 'down' });
      },
    });
    const { address } = await listenGrpc(server);
    closers.push(() => server.forceShutdown());
    const client = createGrpcClient(Echo, {
      service: 'echo',
      discovery: [address, await deadAddress()],
      timeout: { totalMs: 80 },
    });
    closers.push(() => client.close());
    const errors: unknown[] = [];
    for (const text of ['hang', 'fail', 'fail', 'fail']) {
      const md = new Metadata();
      md.set('authorization', `Bearer ${TOKEN}`);
      md.set('x-api-key', API_KEY);
      await new Promise<void>((resolve) =>
        (
          client as unknown as {
            Say(m: EchoMessage, md: Metadata, cb: grpc.requestCallback<EchoMessage>): void;
          }
        ).Say({ text, n: 0 }, md, (error) => {
          if (error) errors.push(error);
          resolve();
        }),
      );
    }
    expect(errors.length).toBe(4);
    for (const [i, e] of errors.entries()) expectNoSecret(errorText(e), `gRPC error ${i}`);
    expectNoSecret(client.describe(), 'describe()');
    expectNoSecret(JSON.stringify(client.snapshot()), 'snapshot()');
    const spans = tracing.exporter.getFinishedSpans();
    expect(spans.length).toBeGreaterThan(4);
    expectNoSecret(
      JSON.stringify(spans.map((s) => [s.name, s.attributes, s.events, s.status])),
      'spans',
    );
  });
});
