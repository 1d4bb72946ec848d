/**
 * Decision 0020's measurement: the per-call cost of a circuit breaker around a no-op service,
 * Outrigger's `breaker()` against opossum 9 configured as Outrigger would have to use it (its
 * timeout off, no breaker-wide AbortController, one shared rotation emitter, no snapshots or
 * percentiles, outcomes judged by the shared classifier), and against a floor that only checks
 * a flag. Closed circuit (the success path) and open circuit (the refusal), then heap per call.
 */
import { EventEmitter } from 'node:events';
import {
  breaker,
  CallContext,
  type Classifier,
  defaultClassifier,
  isFailure,
} from '@outrigger/core';
import Opossum from 'opossum';
import { compare } from '../lib/compare.js';
import { bytesPerCall } from '../lib/heap.js';
import { fmt } from '../lib/stats.js';
import type { BenchSuite } from '../lib/suite.js';

type Svc = (req: number, ctx: CallContext) => Promise<number>;
const classifier: Classifier = defaultClassifier;
const noop: Svc = async (req) => req;
const failing: Svc = async () => {
  throw new Error('down');
};

/** The least a breaker can add: a flag check and handlers allocated once. */
function floor(next: Svc): Svc {
  let open = false;
  let failures = 0;
  const onResult = (value: number) => value;
  const onError = (error: unknown) => {
    if (++failures > 1_000_000) open = true;
    throw error;
  };
  return (req, ctx) =>
    open ? Promise.reject(new Error('open')) : next(req, ctx).then(onResult, onError);
}

/** A result the classifier calls a failure, carried through opossum's rejection path. */
class FailedResult extends Error {
  constructor(readonly result: unknown) {
    super('failed result');
  }
}

/** opossum as the breaker position would have to use it; `timeout` on only where asked. */
function opossum(next: Svc, rotate: EventEmitter, withTimeout = false): { call: Svc; cb: Opossum } {
  const cb = new Opossum(
    async (req: number, ctx: CallContext) => {
      const result = await next(req, ctx);
      if (isFailure(classifier.classifyResult(result, ctx))) throw new FailedResult(result);
      return result;
    },
    {
      timeout: withTimeout ? 10_000 : false,
      errorThresholdPercentage: 50,
      volumeThreshold: 20,
      resetTimeout: 10_000,
      rollingCountTimeout: 10_000,
      rollingCountBuckets: 10,
      rotateBucketController: rotate,
      enableSnapshots: false,
      rollingPercentilesEnabled: false,
      // 'cancelled' would have to pass as a success here: opossum has no neutral outcome.
      // opossum passes the call's arguments after the error; @types/opossum omits them.
      errorFilter: ((error: unknown, _req: number, ctx: CallContext) =>
        !(error instanceof FailedResult) && !isFailure(classifier.classifyError(error, ctx))) as (
        error: unknown,
      ) => boolean,
    },
  );
  const call: Svc = (req, ctx) =>
    cb.fire(req, ctx).catch((error: unknown) => {
      if (error instanceof FailedResult) return error.result as number;
      throw error;
    });
  return { call, cb };
}

async function tripped(call: Svc, ctx: CallContext): Promise<void> {
  for (let i = 0; i < 50; i++) await call(i, ctx).catch(() => {});
}

const suite: BenchSuite = {
  name: 'breaker-peers',
  title: 'Circuit breaker: Outrigger vs opossum (decision 0020)',
  async run() {
    const ctx = CallContext.root();
    const rotate = new EventEmitter();
    // One shared rotation timer for every opossum breaker, as a fair peer setup needs.
    const rotation = setInterval(() => rotate.emit('rotate'), 1_000);
    rotation.unref();

    const closed = {
      outrigger: breaker({})(noop),
      opossum: opossum(noop, rotate),
      opossumTimeout: opossum(noop, rotate, true),
      floor: floor(noop),
    };
    const ops: Record<string, () => unknown> = {
      'bare await': () => noop(1, ctx),
      'floor (flag check, no window)': () => closed.floor(1, ctx),
      'Outrigger breaker()': () => closed.outrigger(1, ctx),
      'opossum, timeout off, classifier': () => closed.opossum.call(1, ctx),
      'opossum, its 10 s timeout on': () => closed.opossumTimeout.call(1, ctx),
    };
    const success = await compare(ops, { ops: 20_000, rounds: 21 });

    const open = { outrigger: breaker({})(failing), opossum: opossum(failing, rotate) };
    await tripped(open.outrigger, ctx);
    await tripped(open.opossum.call, ctx);
    const refusal = await compare(
      {
        'Outrigger breaker() (CIRCUIT_OPEN)': () => open.outrigger(1, ctx).catch(() => {}),
        'opossum (EOPENBREAKER)': () => open.opossum.call(1, ctx).catch(() => {}),
      },
      { ops: 5_000, rounds: 15 },
    );

    const heap: [string, number][] = [];
    for (const [name, op] of Object.entries(ops)) heap.push([name, await bytesPerCall(op)]);
    clearInterval(rotation);
    for (const { cb } of [closed.opossum, closed.opossumTimeout, open.opossum]) cb.shutdown();

    const bare = success['bare await']!.median;
    const row = (name: string, s: { median: number; min: number; max: number }) =>
      `| ${name} | ${fmt(s as never, 0)} | ${(s.median - bare).toFixed(0)} |`;
    return `## Circuit breaker: Outrigger vs opossum (decision 0020)

Closed circuit, per call around a no-op service, ns: median (min–max) over 21 alternating
slices of 20,000 sequential calls; the last column is ns over the bare await. opossum 9 is set
up as the breaker position would need it: timeout off, no AbortController, one shared
rotation emitter, snapshots and percentiles off, outcomes judged by the shared classifier.

| Variant | ns per call | ns over bare |
| --- | --- | --- |
${Object.entries(success)
  .map(([n, s]) => row(n, s))
  .join('\n')}

Open circuit, per refused call (ns, median (min–max) of 15 slices of 5,000):

| Variant | ns per call |
| --- | --- |
${Object.entries(refusal)
  .map(([n, s]) => `| ${n} | ${fmt(s, 0)} |`)
  .join('\n')}

Heap allocated per call, closed circuit (bytes, no GC during the measurement):

| Variant | bytes per call |
| --- | --- |
${heap.map(([n, b]) => `| ${n} | ${Math.round(b)} |`).join('\n')}
`;
  },
};

export default suite;
