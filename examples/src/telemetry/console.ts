/**
 * Outrigger's spans and metrics on the console, with the OpenTelemetry Node SDK: start the SDK
 * first (the application chooses it; Outrigger depends on @opentelemetry/api only), then create
 * clients. A local backend answers its first request with 503, so the output shows one call
 * span with two attempt children, the retry counter and the duration histogram.
 * Run: npm run build && node examples/dist/telemetry/console.js
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConsoleMetricExporter, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { ConsoleSpanExporter } from '@opentelemetry/sdk-trace';
import { createHttpClient } from '@outrigger/http';

const sdk = new NodeSDK({
  serviceName: 'checkout',
  traceExporter: new ConsoleSpanExporter(),
  metricReader: new PeriodicExportingMetricReader({
    exporter: new ConsoleMetricExporter(),
    exportIntervalMillis: 60_000,
  }),
  instrumentations: [],
});
sdk.start();

let calls = 0;
const backend = createServer((_req, res) => {
  res.statusCode = ++calls === 1 ? 503 : 200;
  res.end('ok');
});
await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
const { port } = backend.address() as AddressInfo;

const payments = createHttpClient({ service: 'payments', discovery: [`127.0.0.1:${port}`] });
const res = await payments.request('/charges/42');
console.log(`payments answered ${res.statusCode}: ${await res.body.text()}`);

await payments.close();
await new Promise((resolve) => backend.close(resolve));
// Shutting the SDK down flushes the spans and exports the metrics once more.
await sdk.shutdown();
