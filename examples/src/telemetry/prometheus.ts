/**
 * Outrigger's metrics for Prometheus to scrape: the SDK's Prometheus exporter serves them on
 * 127.0.0.1:9464/metrics while a client makes calls to a local backend; this script scrapes its
 * own endpoint once, prints the Outrigger series and exits.
 * Run: npm run build && node examples/dist/telemetry/prometheus.js [port]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { createHttpClient } from '@outrigger/http';

const port = Number(process.argv[2] ?? 9464);
const exporter = new PrometheusExporter({ host: '127.0.0.1', port });
const provider = new MeterProvider({ readers: [exporter] });
metrics.setGlobalMeterProvider(provider);

let calls = 0;
const backend = createServer((_req, res) => {
  res.statusCode = ++calls % 4 === 0 ? 503 : 200;
  res.end('ok');
});
await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
const backendPort = (backend.address() as AddressInfo).port;

// Created after the meter provider is registered: the metrics API has no proxy.
const payments = createHttpClient({ service: 'payments', discovery: [`127.0.0.1:${backendPort}`] });
for (let i = 0; i < 20; i++) await (await payments.request(`/charges/${i}`)).body.text();

const scrape = await fetch(`http://127.0.0.1:${port}/metrics`);
const text = await scrape.text();
console.log(
  text
    .split('\n')
    .filter((line) => /^(# (HELP|TYPE) )?(http_client_request_duration|outrigger_)/.test(line))
    .join('\n'),
);

await payments.close();
await new Promise((resolve) => backend.close(resolve));
await provider.shutdown();
