/**
 * Metrics: the protocols' call-duration histograms with the semantic
 * conventions' names, units, advised buckets and attributes, and Outrigger's counters moving
 * when their events happen. Providers are injected (`meterProvider`), as an application's tests
 * would; a meter without an SDK behind it records nothing and subscribes to no event.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import type { BatchObservableCallback, MeterProvider, Observable } from '@opentelemetry/api';
import type {
  GaugeMetricData,
  HistogramMetricData,
  SumMetricData,
} from '@opentelemetry/sdk-metrics';
import { createGrpcClient } from '@outrigger/grpc';
import { createHttpClient } from '@outrigger/http';
import { afterEach, describe, expect, it } from 'vitest';
import { Echo, type EchoMessage, echoServiceDefinition } from '../grpc/support/protos.js';
import { listenGrpc } from '../grpc/support/test-service.js';
import { findMetric, type Metrics, setUpMetrics } from './support/otel.js';

const closers: Array<() => unknown> = [];
let metrics: Metrics | undefined;
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await metrics?.shutdown();
  metrics = undefined;
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function counted(data: SumMetricData | undefined, attributes: Record<string, unknown>): number {
  let total = 0;
  for (const point of data?.dataPoints ?? []) {
    if (Object.entries(attributes).every(([k, v]) => point.attributes[k] === v)) {
      total += point.value;
    }
  }
  return total;
}

describe('HTTP metrics', () => {
  it('records http.client.request.duration per logical call, with the conventions', async () => {
    metrics = setUpMetrics({ global: false });
    let n = 0;
    const address = await listen(
      createServer((_req, res) => {
        res.statusCode = ++n === 1 ? 503 : 200;
        res.end();
      }),
    );
    const client = createHttpClient({
      service: 'payments',
      discovery: [address],
      meterProvider: metrics.provider,
    });
    closers.push(() => client.close());
    await (await client.request('/a')).body.text();
    const collected = await metrics.collect();
    const duration = findMetric(collected, 'http.client.request.duration') as HistogramMetricData;
    expect(duration.descriptor.unit).toBe('s');
    const points = duration.dataPoints;
    // One logical call (retried once inside), one data point with its final status.
    expect(points).toHaveLength(1);
    expect(points[0]!.attributes).toEqual({
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'outrigger.service': 'payments',
    });
    expect(points[0]!.value.count).toBe(1);
    expect(points[0]!.value.buckets.boundaries).toEqual([
      0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
    ]);
    // ...and the retry it took is counted.
    const retries = findMetric(collected, 'outrigger.client.retries') as SumMetricData;
    expect(counted(retries, { 'outrigger.retry.reason': 'retryable' })).toBe(1);
  });

  it('counts breaker transitions and refusals, and bulkhead rejections', async () => {
    metrics = setUpMetrics({ global: false });
    const address = await listen(
      createServer((_req, res) => {
        res.statusCode = 500;
        res.end();
      }),
    );
    const client = createHttpClient({
      service: 'failing',
      discovery: [address],
      meterProvider: metrics.provider,
      retry: false,
      outlierDetection: false,
      breaker: { volumeThreshold: 2, errorThresholdPercent: 50 },
    });
    closers.push(() => client.close());
    for (let i = 0; i < 4; i++) {
      try {
        await (await client.request('/')).body.text();
      } catch {
        // Refused once the circuit is open.
      }
    }
    const slow = await listen(createServer((_req, res) => setTimeout(() => res.end(), 200)));
    const bounded = createHttpClient({
      service: 'bounded',
      discovery: [slow],
      meterProvider: metrics.provider,
      bulkhead: { maxConcurrent: 1, maxQueue: 0 },
    });
    closers.push(() => bounded.close());
    const held = bounded.request('/');
    await expect(bounded.request('/')).rejects.toMatchObject({ code: 'BULKHEAD_FULL' });
    await (await held).body.text();

    const collected = await metrics.collect();
    const transitions = findMetric(
      collected,
      'outrigger.client.breaker.transitions',
    ) as SumMetricData;
    expect(
      counted(transitions, { 'outrigger.breaker.state': 'open', 'outrigger.service': 'failing' }),
    ).toBe(1);
    const refused = findMetric(collected, 'outrigger.client.breaker.rejections') as SumMetricData;
    expect(counted(refused, { 'outrigger.service': 'failing' })).toBeGreaterThanOrEqual(1);
    const bulkhead = findMetric(collected, 'outrigger.client.bulkhead.rejections') as SumMetricData;
    expect(
      counted(bulkhead, { 'outrigger.bulkhead.reason': 'full', 'outrigger.service': 'bounded' }),
    ).toBe(1);
  });

  it('publishes the live state as observable gauges, and stops observing on close', async () => {
    metrics = setUpMetrics({ global: false });
    const sdk = metrics.provider;
    // The SDK's provider, noting the batch callbacks a client removes.
    const removed: unknown[] = [];
    const meterProvider: MeterProvider = {
      getMeter(name, version, options) {
        const meter = sdk.getMeter(name, version, options);
        return new Proxy(meter, {
          get(target, key) {
            if (key === 'removeBatchObservableCallback') {
              return (callback: BatchObservableCallback, observables: Observable[]) => {
                removed.push(callback);
                target.removeBatchObservableCallback(callback, observables);
              };
            }
            const value = Reflect.get(target, key);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        });
      },
    };
    const address = await listen(createServer((_req, res) => res.end()));
    const client = createHttpClient({ service: 'observed', discovery: [address], meterProvider });
    await (await client.request('/')).body.text();
    const gauge = (collected: Awaited<ReturnType<Metrics['collect']>>, name: string) =>
      (findMetric(collected, name) as GaugeMetricData | undefined)?.dataPoints ?? [];
    const collected = await metrics.collect();
    expect(gauge(collected, 'outrigger.client.breaker.state').map((p) => p.value)).toEqual([0]);
    expect(gauge(collected, 'outrigger.client.budget.balance')[0]!.value).toBeGreaterThan(0);
    expect(gauge(collected, 'outrigger.client.bulkhead.in_flight').map((p) => p.value)).toEqual([
      0,
    ]);
    const endpoints = gauge(collected, 'outrigger.client.endpoints');
    expect(
      endpoints.find((p) => p.attributes['outrigger.endpoint.state'] === 'healthy')?.value,
    ).toBe(1);
    expect(
      endpoints.find((p) => p.attributes['outrigger.endpoint.state'] === 'ejected')?.value,
    ).toBe(0);
    expect(removed).toHaveLength(0);
    await client.close();
    expect(removed).toHaveLength(1);
  });

  it('without an SDK behind the meter, records nothing and listens to no event', async () => {
    const address = await listen(createServer((_req, res) => res.end()));
    const client = createHttpClient({ service: 'plain', discovery: [address] });
    closers.push(() => client.close());
    await (await client.request('/')).body.text();
    expect(client.events.has('retry.scheduled')).toBe(false);
    expect(client.events.has('breaker.opened')).toBe(false);
  });
});

describe('gRPC metrics', () => {
  it('records rpc.client.duration in ms with the RPC attributes', async () => {
    metrics = setUpMetrics({ global: false });
    const server = new grpc.Server();
    server.addService(echoServiceDefinition, {
      Say(
        call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>,
        cb: grpc.sendUnaryData<EchoMessage>,
      ) {
        if (call.request.text === 'missing')
          return cb({ code: grpc.status.NOT_FOUND, details: 'no' });
        cb(null, call.request);
      },
    });
    const { port } = await listenGrpc(server);
    closers.push(() => server.forceShutdown());
    const client = createGrpcClient(Echo, {
      service: 'echo',
      discovery: [`127.0.0.1:${port}`],
      meterProvider: metrics.provider,
    });
    closers.push(() => client.close());
    const say = (client.unary as Record<string, (m: EchoMessage) => Promise<EchoMessage>>).Say!;
    await say({ text: 'hi', n: 1 });
    await expect(say({ text: 'missing', n: 1 })).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });

    const duration = findMetric(
      await metrics.collect(),
      'rpc.client.duration',
    ) as HistogramMetricData;
    expect(duration.descriptor.unit).toBe('ms');
    const codes = duration.dataPoints.map((p) => p.attributes['rpc.grpc.status_code']).sort();
    expect(codes).toEqual([0, 5]);
    for (const point of duration.dataPoints) {
      expect(point.attributes).toMatchObject({
        'rpc.system': 'grpc',
        'rpc.method': 'Say',
        'outrigger.service': 'echo',
      });
      expect(String(point.attributes['rpc.service'])).toMatch(/\.Echo$/);
    }
  });
});
