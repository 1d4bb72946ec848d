/**
 * Every Outrigger instrument moves when its event happens, one test each, through a real HTTP
 * client against servers on 127.0.0.1 and the SDK's metrics with an on-demand reader (injected
 * as `meterProvider`, as an application's own tests would).
 */
import type { RequestListener } from 'node:http';
import type { Attributes } from '@opentelemetry/api';
import type {
  GaugeMetricData,
  HistogramMetricData,
  ResourceMetrics,
  SumMetricData,
} from '@opentelemetry/sdk-metrics';
import { type Discovery, type DiscoveryListener, staticDiscovery } from '@outrigger/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type ClientOptions, call, httpFixture } from './support/http-fixture.js';
import { findMetric, type Metrics, setUpMetrics } from './support/otel.js';

let metrics: Metrics | undefined;
const {
  serve,
  client: made,
  closeLast,
} = httpFixture(() => {
  metrics ??= setUpMetrics({ global: false });
  return { meterProvider: metrics.provider };
});
afterEach(async () => {
  await metrics?.shutdown();
  metrics = undefined;
});

const ok: RequestListener = (_req, res) => res.end('ok');
const failing =
  (status: number): RequestListener =>
  (_req, res) => {
    res.statusCode = status;
    res.end();
  };

/** A client with the test's meter provider; closed after the test. */
const client = (options: ClientOptions) => made(options);

function matches(point: { attributes: Attributes }, attributes: Attributes): boolean {
  return Object.entries(attributes).every(([k, v]) => point.attributes[k] === v);
}

function sum(collected: ResourceMetrics, name: string, attributes: Attributes = {}): number {
  const data = findMetric(collected, name) as SumMetricData | undefined;
  let total = 0;
  for (const point of data?.dataPoints ?? []) if (matches(point, attributes)) total += point.value;
  return total;
}

function gauge(collected: ResourceMetrics, name: string, attributes: Attributes = {}): number[] {
  const data = findMetric(collected, name) as GaugeMetricData | undefined;
  return (data?.dataPoints ?? []).filter((p) => matches(p, attributes)).map((p) => p.value);
}

function histogram(collected: ResourceMetrics, name: string) {
  const data = findMetric(collected, name) as HistogramMetricData | undefined;
  const point = data?.dataPoints[0];
  return {
    unit: data?.descriptor.unit,
    count: point?.value.count ?? 0,
    sum: point?.value.sum ?? 0,
  };
}

/** Collects from this test's provider (made by its first client). */
function collect(): Promise<ResourceMetrics> {
  if (metrics === undefined) throw new Error('no client made yet');
  return metrics.collect();
}

describe('Outrigger instruments', () => {
  it('outrigger.client.attempts counts first attempts and retries apart', async () => {
    let n = 0;
    const address = await serve((_req, res) => {
      res.statusCode = ++n === 1 ? 503 : 200;
      res.end();
    });
    const c = client({ discovery: [address] });
    expect(await call(c)).toBe(200);
    const collected = await collect();
    expect(sum(collected, 'outrigger.client.attempts', { 'outrigger.attempt.kind': 'first' })).toBe(
      1,
    );
    expect(sum(collected, 'outrigger.client.attempts', { 'outrigger.attempt.kind': 'retry' })).toBe(
      1,
    );
  });

  it('outrigger.client.retries counts by the verdict retried', async () => {
    let n = 0;
    const address = await serve((_req, res) => {
      res.statusCode = ++n <= 2 ? 503 : 200;
      res.end();
    });
    const c = client({ discovery: [address] });
    expect(await call(c)).toBe(200);
    const collected = await collect();
    expect(
      sum(collected, 'outrigger.client.retries', {
        'outrigger.retry.reason': 'retryable',
        'outrigger.service': 'svc',
      }),
    ).toBe(2);
  });

  it('outrigger.client.requeues counts attempts that never reached a server', async () => {
    const alive = await serve(ok);
    const dead = await serve(ok);
    await closeLast(); // closed at once: its port now refuses connections
    const c = client({ discovery: [dead, alive], balancer: 'round-robin' });
    for (let i = 0; i < 4; i++) expect(await call(c)).toBe(200);
    const collected = await collect();
    const requeues = sum(collected, 'outrigger.client.requeues');
    expect(requeues).toBeGreaterThanOrEqual(1);
    expect(
      sum(collected, 'outrigger.client.attempts', { 'outrigger.attempt.kind': 'requeue' }),
    ).toBe(requeues);
    expect(sum(collected, 'outrigger.client.retries')).toBe(0);
  });

  it('outrigger.client.hedges counts hedges fired and calls a hedge won', async () => {
    let n = 0;
    const address = await serve((_req, res) => {
      // The first request hangs well past the hedge delay; the hedge is answered at once.
      if (++n === 1) setTimeout(() => res.end('late'), 300);
      else res.end('fast');
    });
    const c = client({ discovery: [address], hedge: { delayMs: 20 } });
    expect(await call(c)).toBe(200);
    const collected = await collect();
    expect(sum(collected, 'outrigger.client.hedges', { 'outrigger.hedge.outcome': 'fired' })).toBe(
      1,
    );
    expect(sum(collected, 'outrigger.client.hedges', { 'outrigger.hedge.outcome': 'won' })).toBe(1);
    expect(sum(collected, 'outrigger.client.attempts', { 'outrigger.attempt.kind': 'hedge' })).toBe(
      1,
    );
  });

  it('outrigger.client.budget.exhausted counts retries the budget refused', async () => {
    const address = await serve(failing(503));
    const c = client({
      discovery: [address],
      retry: { maxAttempts: 3, budget: { ratio: 0.01, minPerSecond: 0 } },
    });
    // The last response stands (a refused retry of a result does not turn it into an error).
    expect(await call(c)).toBe(503);
    const collected = await collect();
    expect(
      sum(collected, 'outrigger.client.budget.exhausted', { 'outrigger.budget.purpose': 'retry' }),
    ).toBe(1);
  });

  it('outrigger.client.budget.balance follows the budget as retries spend it', async () => {
    let fail = false;
    const address = await serve((_req, res) => {
      res.statusCode = fail ? 503 : 200;
      fail = !fail;
      res.end();
    });
    const c = client({ discovery: [address], retry: { budget: { minPerSecond: 10 } } });
    const [before] = gauge(await collect(), 'outrigger.client.budget.balance');
    expect(await call(c)).toBe(200); // 200, deposits
    expect(await call(c)).toBe(200); // 503 then 200: one retry withdrawn
    const [after] = gauge(await collect(), 'outrigger.client.budget.balance');
    expect(before).toBeGreaterThan(0);
    expect(after).toBeLessThan(before!);
  });

  it('outrigger.client.breaker.state reads 2 while the circuit is open, transitions count it', async () => {
    const address = await serve(failing(500));
    const c = client({
      discovery: [address],
      retry: false,
      outlierDetection: false,
      breaker: { volumeThreshold: 2, errorThresholdPercent: 50 },
    });
    expect(gauge(await collect(), 'outrigger.client.breaker.state')).toEqual([0]);
    for (let i = 0; i < 3; i++) await call(c);
    expect(await call(c)).toBe('CIRCUIT_OPEN');
    const collected = await collect();
    expect(gauge(collected, 'outrigger.client.breaker.state')).toEqual([2]);
    expect(
      sum(collected, 'outrigger.client.breaker.transitions', { 'outrigger.breaker.state': 'open' }),
    ).toBe(1);
    expect(sum(collected, 'outrigger.client.breaker.rejections')).toBeGreaterThanOrEqual(1);
  });

  it('outrigger.client.ejections and the ejected-endpoints gauge move when an endpoint is ejected', async () => {
    const bad = await serve(failing(503));
    const good = await serve(ok);
    const c = client({
      discovery: [bad, good],
      balancer: 'round-robin',
      outlierDetection: { consecutiveFailures: 2, maxEjectionPercent: 50 },
    });
    const before = await collect();
    expect(
      gauge(before, 'outrigger.client.endpoints', { 'outrigger.endpoint.state': 'ejected' }),
    ).toEqual([0]);
    for (let i = 0; i < 6; i++) expect(await call(c)).toBe(200);
    const collected = await collect();
    expect(sum(collected, 'outrigger.client.ejections', { 'outrigger.service': 'svc' })).toBe(1);
    expect(
      gauge(collected, 'outrigger.client.endpoints', { 'outrigger.endpoint.state': 'ejected' }),
    ).toEqual([1]);
    expect(
      gauge(collected, 'outrigger.client.endpoints', { 'outrigger.endpoint.state': 'healthy' }),
    ).toEqual([1]);
  });

  it('outrigger.client.bulkhead.rejections counts calls the bulkhead refused', async () => {
    const address = await serve((_req, res) => setTimeout(() => res.end(), 100));
    const c = client({ discovery: [address], bulkhead: { maxConcurrent: 1, maxQueue: 0 } });
    const held = call(c);
    expect(await call(c)).toBe('BULKHEAD_FULL');
    await held;
    const collected = await collect();
    expect(
      sum(collected, 'outrigger.client.bulkhead.rejections', {
        'outrigger.bulkhead.reason': 'full',
      }),
    ).toBe(1);
  });

  it('outrigger.client.bulkhead.queue_time records how long a queued call waited', async () => {
    const address = await serve((_req, res) => setTimeout(() => res.end(), 60));
    const c = client({ discovery: [address], bulkhead: { maxConcurrent: 1, maxQueue: 1 } });
    const results = await Promise.all([call(c), call(c)]);
    expect(results).toEqual([200, 200]);
    const queued = histogram(await collect(), 'outrigger.client.bulkhead.queue_time');
    expect(queued.unit).toBe('s');
    expect(queued.count).toBe(1);
    expect(queued.sum).toBeGreaterThan(0.04);
  });

  it('outrigger.client.bulkhead.in_flight and queued read the calls holding and awaiting slots', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const address = await serve((_req, res) => void held.then(() => res.end()));
    const c = client({ discovery: [address], bulkhead: { maxConcurrent: 1, maxQueue: 1 } });
    const calls = [call(c), call(c)];
    await new Promise((resolve) => setTimeout(resolve, 30));
    const during = await collect();
    expect(gauge(during, 'outrigger.client.bulkhead.in_flight')).toEqual([1]);
    expect(gauge(during, 'outrigger.client.bulkhead.queued')).toEqual([1]);
    release();
    expect(await Promise.all(calls)).toEqual([200, 200]);
    expect(gauge(await collect(), 'outrigger.client.bulkhead.in_flight')).toEqual([0]);
  });

  it('outrigger.client.rate_limit.wait records how long a call waited for its token', async () => {
    const address = await serve(ok);
    const c = client({ discovery: [address], rateLimit: { perSecond: 20, burst: 1 } });
    expect(await call(c)).toBe(200); // the burst's token
    expect(await call(c)).toBe(200); // the next token, ~50 ms later
    const waited = histogram(await collect(), 'outrigger.client.rate_limit.wait');
    expect(waited.unit).toBe('s');
    expect(waited.count).toBe(1);
    expect(waited.sum).toBeGreaterThan(0.03);
  });

  it('outrigger.client.rate_limit.rejections counts calls whose token comes after their deadline', async () => {
    const address = await serve(ok);
    const c = client({
      discovery: [address],
      rateLimit: { perSecond: 1, burst: 1 },
      timeout: { totalMs: 100 },
    });
    expect(await call(c)).toBe(200);
    expect(await call(c)).toBe('RATE_LIMITED');
    const collected = await collect();
    expect(sum(collected, 'outrigger.client.rate_limit.rejections')).toBe(1);
    expect(histogram(collected, 'outrigger.client.rate_limit.wait').count).toBe(0);
  });

  it('outrigger.client.discovery.updates and .errors, and the endpoints gauge, follow discovery', async () => {
    const a = await serve(ok);
    const b = await serve(ok);
    const source = staticDiscovery([a]);
    // Every subscriber (the balancer, the connection pools) hears the failure.
    const listeners: DiscoveryListener[] = [];
    const failing: Discovery = {
      subscribe(service, l) {
        listeners.push(l);
        return source.subscribe(service, l);
      },
      close: () => source.close(),
    };
    const c = client({ discovery: failing });
    expect(await call(c)).toBe(200);
    source.update([a, b]);
    for (const l of listeners) l.onError?.(new Error('registry unreachable'));
    const collected = await collect();
    expect(sum(collected, 'outrigger.client.discovery.updates')).toBe(2);
    expect(sum(collected, 'outrigger.client.discovery.errors')).toBe(1);
    expect(
      gauge(collected, 'outrigger.client.endpoints', { 'outrigger.endpoint.state': 'healthy' }),
    ).toEqual([2]);
  });

  it('per-endpoint series appear only when switched on', async () => {
    const address = await serve(ok);
    const plain = client({ service: 'plain', discovery: [address] });
    const detailed = client({
      service: 'detailed',
      discovery: [address],
      telemetry: { endpointMetrics: true },
    });
    expect(await call(plain)).toBe(200);
    expect(await call(detailed)).toBe(200);
    const collected = await collect();
    expect(
      gauge(collected, 'outrigger.client.endpoint.in_flight', { 'outrigger.service': 'plain' }),
    ).toEqual([]);
    expect(
      gauge(collected, 'outrigger.client.endpoint.in_flight', {
        'outrigger.service': 'detailed',
        'outrigger.endpoint': address,
      }),
    ).toEqual([0]);
    const [latency] = gauge(collected, 'outrigger.client.endpoint.latency', {
      'outrigger.endpoint': address,
    });
    expect(latency).toBeGreaterThan(0);
  });
});
