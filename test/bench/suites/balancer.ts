/**
 * The balancer benchmark: the cost of one pick per balancer at 10, 1,000 and 10,000 endpoints
 * (target: 10,000 within 1.5× of 10), the bytes a pick allocates, the control-plane rebuild at
 * each size, and the whole load-balancing policy around a no-op call. Pickers are measured as
 * the policy uses them: one reused request object, `now` advancing (so peak-EWMA decays on every
 * read, as with a real clock), random affinity keys for the hashed balancers.
 */
import {
  BALANCER_NAMES,
  Backend,
  type BalancerName,
  balancerByName,
  CallContext,
  endpoint,
  hashString,
  loadBalancer,
  type PickRequest,
  seededRandom,
} from '@outrigger/core';
import { CALL_OPTIONS } from '@outrigger/core/internal';
import { compare, ratio } from '../lib/compare.js';
import { bytesPerCall } from '../lib/heap.js';
import { fmt, type Stats, stats } from '../lib/stats.js';
import type { BenchSuite } from '../lib/suite.js';

const SIZES = [10, 1_000, 10_000] as const;
const KEYS = Array.from({ length: 4_096 }, (_, i) => hashString(`user-${i}`) >>> 2);

function backends(n: number): Backend[] {
  const random = seededRandom(n);
  return Array.from({ length: n }, (_, i) => {
    const b = new Backend(
      endpoint({ host: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, port: 80 }),
    );
    // Realistic load state: latencies seen, a few requests in flight.
    b.observe(5 + random() * 20, 0, 10_000);
    b.outstanding = Math.floor(random() * 4) | 0;
    return b;
  });
}

function pickOp(name: BalancerName, n: number): () => unknown {
  const picker = balancerByName(name, { random: seededRandom(7) }).build(backends(n));
  const request: PickRequest = { now: 1, hash: undefined, exclude: undefined, ctx: undefined };
  const hashed = name === 'ring-hash' || name === 'maglev';
  let i = 0;
  return () => {
    request.now += 0.001;
    if (hashed) request.hash = KEYS[i++ & 4_095];
    return picker.pick(request);
  };
}

/** Heap bytes per pick at 10,000 endpoints, compiled first; the least of three runs, since a
 * concurrent JIT compilation landing in one run shows up as allocation it did not make. */
async function bytesPerPick(name: BalancerName): Promise<number> {
  const op = pickOp(name, 10_000);
  for (let k = 0; k < 300_000; k++) op();
  let least = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 3; run++) least = Math.min(least, await bytesPerCall(op, 100_000));
  return Math.max(0, least);
}

function rebuildMs(name: BalancerName, n: number): Stats {
  const set = backends(n);
  const balancer = balancerByName(name, { random: seededRandom(7) });
  const samples: number[] = [];
  for (let k = 0; k < 7; k++) {
    const start = process.hrtime.bigint();
    balancer.build(set);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return stats(samples);
}

function policyOp(n: number): () => Promise<unknown> {
  const list = Array.from({ length: n }, (_, i) => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}:80`);
  const call = loadBalancer({ service: 'bench', discovery: list, random: seededRandom(3) })(
    async () => 1,
  );
  const ctx = CallContext.root({ service: 'bench' }).with(CALL_OPTIONS, {});
  return () => call(null, ctx);
}

const suite: BenchSuite = {
  name: 'balancer',
  title: 'Balancer pick cost at 10, 1,000 and 10,000 endpoints',
  async run() {
    const rows: string[] = [];
    const ratios: Record<string, Stats> = {};
    for (const name of BALANCER_NAMES) {
      const variants = Object.fromEntries(SIZES.map((n) => [String(n), pickOp(name, n)]));
      const result = await compare(variants, { ops: 200_000, rounds: 15 });
      const r = ratio(result['10000']!, result['10']!);
      ratios[name] = r;
      const bytes = await bytesPerPick(name);
      const rebuild = SIZES.map((n) => fmt(rebuildMs(name, n), 2));
      rows.push(
        `| ${name} | ${SIZES.map((n) => fmt(result[String(n)]!, 1)).join(' | ')} | **${fmt(r, 2)}** | ${bytes.toFixed(1)} | ${rebuild.join(' | ')} |`,
      );
      console.log(`${name}: 10k/10 = ${r.median.toFixed(2)}`);
    }
    const policy = await compare(
      { bare: async () => 1, '10': policyOp(10), '10000': policyOp(10_000) },
      { ops: 50_000, rounds: 15 },
    );
    const overhead = (n: string) =>
      stats(policy[n]!.samples.map((s, i) => s - policy.bare!.samples[i]!));
    const worst = Math.max(...Object.values(ratios).map((r) => r.median));
    return `## Balancer: pick cost by number of endpoints

Per pick, in ns (median, min–max over 15 alternating slices of 200,000 picks); the ratio is
10,000 endpoints over 10 (target ≤ 1.5×). B/pick is heap allocated per pick at 10,000 endpoints
(least of three runs of 100,000; 0 means nothing the GC has to collect). Rebuild is the control-plane cost of a new picker (ms),
paid once per discovery update, ejection or restoration, never per call.

| Balancer | 10 | 1,000 | 10,000 | 10,000 / 10 | B/pick | rebuild 10 | rebuild 1,000 | rebuild 10,000 |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

Worst 10,000/10 ratio: ${worst.toFixed(2)}× (target 1.5×).

The whole \`loadBalancer\` policy (p2c-ewma, outlier detection on, override header on) around a
no-op async call, per call in ns, over the bare call: ${fmt(overhead('10'), 0)} at 10 endpoints,
${fmt(overhead('10000'), 0)} at 10,000 (bare call ${fmt(policy.bare!, 0)}).
`;
  },
};

export default suite;
