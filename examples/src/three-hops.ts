/**
 * `npm run example -- three-hops`: one request through three services — edge -> orders ->
 * inventory — each a `node:http` server wrapped in `withInbound`, each calling the next through
 * an Outrigger client. The edge's 600 ms deadline shrinks hop by hop (each hop sends what is
 * left in `outrigger-timeout-ms`, and its own calls are capped by it), and with an
 * OpenTelemetry SDK registered the three hops are one trace: each hop's calls are children of
 * the attempt that reached it (the server helper makes the incoming `traceparent` the active
 * context). The spans are printed as a tree at the end.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { createHttpClient, type HttpClient, withInbound } from '@outrigger/http';
import { listen } from './support/local-servers.js';

// Register the SDK first, as an application does at start-up.
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
trace.setGlobalTracerProvider(provider);
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

const seen: string[] = [];
const hop = (name: string, next: HttpClient | undefined) =>
  withInbound(async (req, res) => {
    seen.push(`${name} got ${req.headers['outrigger-timeout-ms'] ?? 'no'} ms of deadline`);
    const body = next ? await (await next.request('/')).body.text() : 'in stock';
    res.end(`${name} > ${body}`);
  });

const inventory = await listen(hop('inventory', undefined));
const toInventory = createHttpClient({ service: 'inventory', discovery: [inventory.address] });
const orders = await listen(hop('orders', toInventory));
const toOrders = createHttpClient({ service: 'orders', discovery: [orders.address] });
const front = await listen(hop('edge', toOrders));
const edge = createHttpClient({
  service: 'edge',
  discovery: [front.address],
  timeout: { totalMs: 600 },
});

const res = await edge.request('/checkout');
console.log(await res.body.text());
for (const line of seen) console.log(`  ${line}`);

const spans = exporter.getFinishedSpans();
const children = (id: string | undefined) =>
  spans.filter((s) => s.parentSpanContext?.spanId === id);
const print = (span: ReadableSpan, depth: number) => {
  const service = span.attributes['outrigger.service'];
  const attempt = span.attributes['outrigger.attempt'];
  console.log(
    `${'  '.repeat(depth)}${span.name} ${service}${attempt ? ` attempt ${attempt}` : ''} ${span.spanContext().spanId}`,
  );
  for (const child of children(span.spanContext().spanId)) print(child, depth + 1);
};
console.log(`one trace: ${new Set(spans.map((s) => s.spanContext().traceId)).size === 1}`);
for (const root of children(undefined)) print(root, 0);

await Promise.all([edge.close(), toOrders.close(), toInventory.close()]);
await Promise.all([front.close(), orders.close(), inventory.close()]);
await provider.shutdown();
