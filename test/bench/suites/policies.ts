/**
 * The policy benchmark: the per-call cost of a no-op service wrapped by nothing, by each policy
 * alone, by Outrigger's full default chain, and by the peers (cockatiel's
 * wrap(retry, breaker, timeout, bulkhead), opossum alone, p-retry alone, and a minimal
 * hand-written chain as the floor), in one process, alternating slices. Then heap per call,
 * and the cost per call with 10,000 calls in flight.
 */
import {
  breaker,
  buildChain,
  bulkhead,
  CallContext,
  type Policy,
  pipeline,
  RetryBudget,
  rateLimit,
  retry,
  timeout,
} from '@outrigger/core';
import { honoursCancellation } from '@outrigger/core/internal';
import {
  ConsecutiveBreaker,
  bulkhead as cBulkhead,
  circuitBreaker,
  retry as cRetry,
  timeout as cTimeout,
  handleAll,
  TimeoutStrategy,
  wrap,
} from 'cockatiel';
import CircuitBreaker from 'opossum';
import pRetry from 'p-retry';
import { compare, ratio } from '../lib/compare.js';
import { heapPerCall } from '../lib/heap.js';
import { fmt, type Stats, stats } from '../lib/stats.js';
import type { BenchSuite } from '../lib/suite.js';

const noop = async (_req?: unknown, _ctx?: unknown) => 1;

/**
 * The transport is marked as honouring cancellation, as the HTTP transport is, so the deadline
 * aborts it instead of racing it; `racing` builds the chain around an unmarked service instead.
 */
function outriggerChain(racing = false) {
  const chain = buildChain<unknown, number>({
    options: {
      service: 'bench',
      discovery: ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80', '10.0.0.4:80'],
      env: {},
    },
    // A function of its own each time: the mark is set on the function it is given.
    transport: racing ? async () => 1 : honoursCancellation(async () => 1),
  });
  return chain;
}

function floor() {
  // The least a chain with a retry counter, a concurrency limit and a deadline can do.
  let inFlight = 0;
  const onTimeout = () => undefined;
  return async () => {
    if (inFlight >= 1024) throw new Error('full');
    inFlight++;
    const timer = setTimeout(onTimeout, 10_000);
    try {
      return await noop();
    } finally {
      clearTimeout(timer);
      inFlight--;
    }
  };
}

function cockatielChain() {
  const policy = wrap(
    cRetry(handleAll, { maxAttempts: 2 }),
    circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }),
    cTimeout(10_000, TimeoutStrategy.Aggressive),
    cBulkhead(1024, 1024),
  );
  return () => policy.execute(() => noop());
}

function alone(policy: Policy) {
  const call = pipeline(policy)(noop);
  return () => call(null);
}

export async function variants() {
  const chain = outriggerChain();
  const racing = outriggerChain(true);
  const opossum = new CircuitBreaker(noop, { timeout: 10_000 });
  const opossumNoTimeout = new CircuitBreaker(noop, { timeout: false });
  const bare = pipeline()(noop);
  return {
    chain,
    close: async () => {
      opossum.shutdown();
      opossumNoTimeout.shutdown();
      await chain.close();
      await racing.close();
    },
    ops: {
      'bare await': () => noop(),
      'pipeline(), no policy': () => bare(null),
      'timeout({ totalMs })': alone(timeout({ totalMs: 10_000 })),
      'retry()': alone(retry({ budget: new RetryBudget() })),
      'breaker()': alone(breaker({})),
      'bulkhead()': alone(bulkhead({})),
      'rateLimit()': alone(rateLimit({ perSecond: 10_000_000 })),
      'Outrigger default chain': () => chain.call(null),
      'Outrigger default chain, unmarked service (deadline races)': () => racing.call(null),
      'cockatiel wrap(retry, breaker, timeout, bulkhead)': cockatielChain(),
      'opossum (with its timeout)': () => opossum.fire(),
      'opossum (timeout off)': () => opossumNoTimeout.fire(),
      'p-retry': () => pRetry(noop, { retries: 2 }),
      'hand-written floor': floor(),
    } as Record<string, () => unknown>,
  };
}

async function inFlight(
  call: (release: Promise<void>) => Promise<unknown>,
  n: number,
): Promise<number> {
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const start = process.hrtime.bigint();
  const all: Promise<unknown>[] = new Array(n);
  for (let i = 0; i < n; i++) all[i] = call(gate);
  release();
  await Promise.all(all);
  return Number(process.hrtime.bigint() - start) / n / 1_000;
}

async function inFlightStats(
  call: (gate: Promise<void>) => Promise<unknown>,
  n: number,
  rounds = 7,
): Promise<Stats> {
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) samples.push(await inFlight(call, n));
  return stats(samples);
}

const suite: BenchSuite = {
  name: 'policies',
  title: 'Policy overhead',
  async run() {
    const v = await variants();
    const results = await compare(v.ops, { ops: 20_000, rounds: 15 });
    const bareNs = results['bare await']!;
    const chainNs = results['Outrigger default chain']!;
    const cockatielNs = results['cockatiel wrap(retry, breaker, timeout, bulkhead)']!;
    const rows = Object.entries(results).map(
      ([name, s]) =>
        `| ${name} | ${fmt(s, 0)} | ${((s.median - bareNs.median) / 1000).toFixed(2)} |`,
    );

    const heap: [string, Stats][] = [];
    for (const name of [
      'bare await',
      'Outrigger default chain',
      'Outrigger default chain, unmarked service (deadline races)',
      'cockatiel wrap(retry, breaker, timeout, bulkhead)',
      'opossum (with its timeout)',
      'hand-written floor',
    ]) {
      heap.push([name, await heapPerCall(v.ops[name]!)]);
    }

    // 10,000 calls in flight: each call waits on a shared gate, then all complete.
    const chainGated = buildChain<Promise<void>, void>({
      options: {
        service: 'bench-gated',
        discovery: ['10.0.0.1:80', '10.0.0.2:80'],
        env: {},
        bulkhead: { maxConcurrent: 200_000, maxQueue: 0 },
      },
      transport: honoursCancellation((gate: Promise<void>) => gate),
    });
    const cockatielGated = wrap(
      cRetry(handleAll, { maxAttempts: 2 }),
      circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }),
      cTimeout(10_000, TimeoutStrategy.Aggressive),
      cBulkhead(20_000, 0),
    );
    // opossum with its own timeout, as it is used: a timer per call, all 10,000 of them alive.
    const opossumGated = new CircuitBreaker((gate: Promise<void>) => gate, { timeout: 10_000 });
    // N = 100,000 shows whether the cost per call keeps growing past 10,000 (cockatiel's would
    // take minutes there, so it is left out of that column).
    const flight: [string, Stats, Stats, Stats | undefined][] = [];
    for (const [name, fn] of [
      ['bare await', async (gate: Promise<void>) => gate],
      [
        'Outrigger default chain',
        (gate: Promise<void>) => chainGated.call(gate, CallContext.root()),
      ],
      ['cockatiel wrap(…)', (gate: Promise<void>) => cockatielGated.execute(() => gate)],
      ['opossum (with its timeout)', (gate: Promise<void>) => opossumGated.fire(gate)],
      ['hand-written floor', floorGated()],
    ] as const) {
      flight.push([
        name,
        await inFlightStats(fn, 10),
        await inFlightStats(fn, 10_000),
        name.startsWith('cockatiel') ? undefined : await inFlightStats(fn, 100_000, 3),
      ]);
    }
    await chainGated.close();
    opossumGated.shutdown();
    await v.close();

    const over = ratio(chainNs, bareNs);
    const vsCockatiel = ratio(chainNs, cockatielNs);
    return `## Policy overhead around a no-op call

Per call, ns: median (min–max) over 15 alternating slices of 20,000 sequential calls; the last
column is µs over the bare await. Defaults everywhere (Outrigger: 10 s deadline, 3 attempts
under a 20% budget, breaker, bulkhead 1024/1024, P2C-EWMA over four static endpoints with
outlier detection, around a service marked as honouring cancellation as the HTTP transport is;
the "unmarked" row has the deadline race the service instead; cockatiel: its four policies with
a 10 s aggressive timeout).

| Variant | ns per call | µs over bare |
| --- | --- | --- |
${rows.join('\n')}

- **Outrigger default chain over the bare call: ${((chainNs.median - bareNs.median) / 1000).toFixed(2)} µs** (target ≤ 2 µs); ratio to bare ${over.median.toFixed(1)}×.
- **Outrigger default chain / cockatiel wrap: ${vsCockatiel.median.toFixed(3)}** (per-slice range ${vsCockatiel.min.toFixed(3)}–${vsCockatiel.max.toFixed(3)}; target ≤ 0.1).

Heap allocated per call (bytes, young garbage included; V8's sampling heap profiler over 20,000
calls, median (min–max) of 3 runs; the bare await's own promise and the loop are in every row):

| Variant | bytes per call | over the bare await |
| --- | --- | --- |
${heap.map(([n, b]) => `| ${n} | ${fmt(b, 0)} | ${Math.round(b.median - heap[0]![1].median)} |`).join('\n')}

With many calls in flight (µs per call to start and complete N concurrent calls; median (min–max) of 7 rounds, 3 at N = 100,000):

| Variant | N = 10 | N = 10,000 | N = 100,000 | 10,000 / 10 | 100,000 / 10,000 |
| --- | --- | --- | --- | --- | --- |
${flight.map(([n, a, b, c]) => `| ${n} | ${fmt(a)} | ${fmt(b)} | ${c ? fmt(c) : '—'} | ${(b.median / a.median).toFixed(2)} | ${c ? (c.median / b.median).toFixed(2) : '—'} |`).join('\n')}
`;
  },
};

function floorGated() {
  let inFlightCount = 0;
  const onTimeout = () => undefined;
  return async (gate: Promise<void>) => {
    if (inFlightCount >= 200_000) throw new Error('full');
    inFlightCount++;
    const timer = setTimeout(onTimeout, 10_000);
    try {
      return await gate;
    } finally {
      clearTimeout(timer);
      inFlightCount--;
    }
  };
}

export default suite;
