/**
 * Policy decisions on the spans: retry scheduled with its delay, hedge fired and won, breaker
 * refusal, bulkhead queueing and its wait, endpoint ejection, injected faults, budget
 * exhaustion; and the attempt spans' `outrigger.*` attributes (why the attempt was made, the
 * route and subset that placed it). HTTP client, SDK in memory.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { staticDiscovery } from '@outrigger/core';
import { createHttpClient } from '@outrigger/http';
import { afterEach, describe, expect, it } from 'vitest';
import { call, httpFixture } from './support/http-fixture.js';
import { setUpTracing, type Tracing } from './support/otel.js';

let tracing: Tracing | undefined;
const { serve, client, closeLast, closers } = httpFixture(() => {
  tracing ??= setUpTracing({ global: false });
  return { tracerProvider: tracing.provider };
});
afterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
});

/** The finished spans: the call spans (no parent) and their attempts, in start order. */
function spans() {
  const all = tracing!.exporter.getFinishedSpans();
  const calls = all.filter((s) => s.parentSpanContext === undefined);
  const attemptsOf = (call: ReadableSpan) =>
    all
      .filter((s) => s.parentSpanContext?.spanId === call.spanContext().spanId)
      .sort(
        (a, b) =>
          Number(a.attributes['outrigger.attempt']) - Number(b.attributes['outrigger.attempt']),
      );
  return { calls, attemptsOf };
}

function event(span: ReadableSpan, name: string) {
  return span.events.find((e) => e.name === name);
}

describe('policy decisions as span events', () => {
  it('a retry: the call span notes it scheduled with its delay; the attempt says why it was made', async () => {
    let n = 0;
    const address = await serve((_req, res) => {
      res.statusCode = ++n === 1 ? 503 : 200;
      res.end();
    });
    const c = client({ discovery: [address], retry: { backoff: { baseMs: 7, jitter: 'none' } } });
    expect(await call(c)).toBe(200);
    const { calls, attemptsOf } = spans();
    const scheduled = event(calls[0]!, 'outrigger.retry.scheduled');
    expect(scheduled?.attributes).toEqual({
      'outrigger.attempt': 2,
      'outrigger.retry.delay_ms': 7,
      'outrigger.retry.reason': 'retryable',
      'outrigger.requeue': false,
    });
    const [first, second] = attemptsOf(calls[0]!);
    expect(first!.attributes['outrigger.retry.reason']).toBeUndefined();
    expect(second!.attributes['outrigger.retry.reason']).toBe('retryable');
    expect(second!.attributes['outrigger.requeue']).toBeUndefined();
  });

  it('a requeue: the attempt after a refused connection is marked as one', async () => {
    const alive = await serve((_req, res) => res.end());
    const dead = await serve((_req, res) => res.end());
    await closeLast();
    const c = client({ discovery: [dead, alive], balancer: 'round-robin' });
    for (let i = 0; i < 2; i++) expect(await call(c)).toBe(200);
    const { calls, attemptsOf } = spans();
    const requeued = calls.flatMap(attemptsOf).filter((s) => s.attributes['outrigger.requeue']);
    expect(requeued.length).toBeGreaterThanOrEqual(1);
    for (const attempt of requeued) {
      expect(attempt.attributes['outrigger.retry.reason']).toBe('unsent');
      expect(attempt.attributes['outrigger.attempt']).toBe(2);
    }
  });

  it('a hedge: fired and won on the call span; the hedged attempt is marked', async () => {
    let n = 0;
    const address = await serve((_req, res) => {
      if (++n === 1) setTimeout(() => res.end('late'), 300);
      else res.end('fast');
    });
    const c = client({ discovery: [address], hedge: { delayMs: 15 } });
    expect(await call(c)).toBe(200);
    const { calls, attemptsOf } = spans();
    expect(event(calls[0]!, 'outrigger.hedge.fired')?.attributes).toEqual({
      'outrigger.attempt': 2,
      'outrigger.hedge.delay_ms': 15,
    });
    expect(event(calls[0]!, 'outrigger.hedge.won')?.attributes).toEqual({
      'outrigger.hedge.winner': 2,
      'outrigger.hedge.attempts': 2,
    });
    const attempts = attemptsOf(calls[0]!);
    expect(attempts.map((s) => s.attributes['outrigger.hedge'])).toEqual([undefined, true]);
  });

  it('a breaker refusal: the attempt span carries the event and the open state', async () => {
    const address = await serve((_req, res) => {
      res.statusCode = 500;
      res.end();
    });
    const c = client({
      discovery: [address],
      retry: false,
      outlierDetection: false,
      breaker: { volumeThreshold: 2, errorThresholdPercent: 50 },
    });
    for (let i = 0; i < 2; i++) expect(await call(c)).toBe(500);
    expect(await call(c)).toBe('CIRCUIT_OPEN');
    const { calls, attemptsOf } = spans();
    const refused = attemptsOf(calls[2]!)[0]!;
    expect(
      event(refused, 'outrigger.breaker.refused')?.attributes?.['outrigger.breaker.retry_in_ms'],
    ).toBeGreaterThan(0);
    expect(refused.attributes['outrigger.breaker.state']).toBe('open');
    expect(calls[2]!.attributes['error.type']).toBe('CIRCUIT_OPEN');
  });

  it('bulkhead queueing: queued, then how long it waited for its slot', async () => {
    const address = await serve((_req, res) => setTimeout(() => res.end(), 50));
    const c = client({ discovery: [address], bulkhead: { maxConcurrent: 1, maxQueue: 1 } });
    expect(await Promise.all([call(c), call(c)])).toEqual([200, 200]);
    const { calls, attemptsOf } = spans();
    const waited = calls.flatMap(attemptsOf).filter((s) => event(s, 'outrigger.bulkhead.queued'));
    expect(waited).toHaveLength(1);
    const dequeued = event(waited[0]!, 'outrigger.bulkhead.dequeued');
    expect(dequeued?.attributes?.['outrigger.bulkhead.waited_ms']).toBeGreaterThan(30);
  });

  it('an ejection: the attempt whose failure tipped the endpoint over says so', async () => {
    const bad = await serve((_req, res) => {
      res.statusCode = 503;
      res.end();
    });
    const c = client({
      discovery: [bad],
      retry: false,
      outlierDetection: { consecutiveFailures: 2, maxEjectionPercent: 100 },
    });
    for (let i = 0; i < 2; i++) expect(await call(c)).toBe(503);
    const { calls, attemptsOf } = spans();
    const second = attemptsOf(calls[1]!)[0]!;
    expect(event(second, 'outrigger.endpoint.ejected')?.attributes).toMatchObject({
      'outrigger.endpoint': bad,
      'outrigger.ejection.reason': 'consecutive-failures',
    });
    expect(event(attemptsOf(calls[0]!)[0]!, 'outrigger.endpoint.ejected')).toBeUndefined();
  });

  it('an injected fault marks the attempt, so a drill is never taken for an incident', async () => {
    const address = await serve((_req, res) => res.end());
    const c = client({
      discovery: [address],
      retry: false,
      fault: { abort: { percent: 100, status: 503 } },
    });
    expect(await call(c)).toBe(503); // the HTTP client answers an injected abort as a response
    const { calls, attemptsOf } = spans();
    const attempt = attemptsOf(calls[0]!)[0]!;
    expect(attempt.attributes['outrigger.fault']).toBe('abort');
    expect(event(attempt, 'outrigger.fault.injected')?.attributes).toEqual({
      'outrigger.fault.kind': 'abort',
      'outrigger.fault.status': 503,
    });
  });

  it('budget exhaustion marks the call', async () => {
    const address = await serve((_req, res) => {
      res.statusCode = 503;
      res.end();
    });
    const c = client({ discovery: [address], retry: { budget: { ratio: 0.01, minPerSecond: 0 } } });
    expect(await call(c)).toBe(503);
    const { calls } = spans();
    expect(calls[0]!.attributes['outrigger.budget.exhausted']).toBe(true);
    expect(event(calls[0]!, 'outrigger.budget.exhausted')?.attributes).toEqual({
      'outrigger.budget.purpose': 'retry',
    });
  });

  it('routes: the attempt names the route and the subset that placed it', async () => {
    const v1 = await serve((_req, res) => res.end('v1'));
    const v2 = await serve((_req, res) => res.end('v2'));
    const [h1, p1] = v1.split(':');
    const [h2, p2] = v2.split(':');
    const c = client({
      discovery: staticDiscovery([
        { host: h1!, port: Number(p1), metadata: { version: 'v1' } },
        { host: h2!, port: Number(p2), metadata: { version: 'v2' } },
      ]),
      routes: [{ name: 'canary', split: [{ subset: { version: 'v2' }, weight: 100 }] }],
    });
    expect(await call(c)).toBe(200);
    const { calls, attemptsOf } = spans();
    const attempt = attemptsOf(calls[0]!)[0]!;
    expect(attempt.attributes['outrigger.route']).toBe('canary');
    expect(attempt.attributes['outrigger.subset']).toBe('version=v2');
    expect(attempt.attributes['outrigger.endpoint']).toBe(v2);
  });

  it('without a recording span, no policy event has a listener (nothing is built for telemetry)', async () => {
    const address = await serve((_req, res) => res.end());
    const plain = createHttpClient({ service: 'plain', discovery: [address], env: {} });
    closers.push(() => plain.close());
    expect(await call(plain)).toBe(200);
    expect(plain.events.has('retry.scheduled')).toBe(false);
    expect(plain.events.has('bulkhead.queued')).toBe(false);
  });
});
