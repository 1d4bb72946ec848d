/**
 * Tail latency with one slow instance in four: the same open-loop load through three
 * clients, each against an all-healthy pool and against the same pool with one instance made
 * slow, alternating. p99 with one slow over p99 all healthy, per client: plain round robin over
 * undici Pools, HAProxy `balance leastconn` in front of the four, and Outrigger's default
 * (P2C over peak EWMA latency). The instances count what they receive, so the share of calls
 * that waited on the slow one is measured where it happened.
 */
import { createHttpClient } from '@outrigger/http';
import { Pool } from 'undici';
import { fmt, type Stats, stats } from '../lib/stats.js';
import type { BenchSuite } from '../lib/suite.js';
import { type Haproxy, haproxyVersion, startHaproxy } from './comparisons/haproxy.js';
import { type Behaviour, type Instances, startInstances } from './comparisons/instances.js';
import { type OpenCall, type OpenLoopResult, openLoop } from './comparisons/open-loop.js';
import { versionsLine } from './comparisons/versions.js';

/** Calls per second, offered whatever the answers: ~1 call in flight on a fast pool. */
const RATE = 400;
const SLICE_MS = 4_000;
/** Unmeasured load after each change of pool or client, so every client meets a pool it has seen. */
const WARMUP_MS = 1_000;
const ROUNDS = 3;
const FAST: Behaviour = { delayMs: 1, jitterMs: 1, status: 200 };
const SLOW: Behaviour = { delayMs: 41, jitterMs: 1, status: 200 };
const SLOW_INDEX = 3;
const TARGET = 1.5;

const CONDITIONS = {
  'all healthy': [FAST, FAST, FAST, FAST],
  'one slow': [FAST, FAST, FAST, SLOW],
} as const;
type Condition = keyof typeof CONDITIONS;

interface Sample {
  readonly result: OpenLoopResult;
  /** Share of the requests the instances received that went to the slow one (index 3). */
  readonly slowShare: number;
}

type Samples = Record<string, Record<Condition, Sample[]>>;

const ok = (statusCode: number) => statusCode === 200;

function roundRobin(instances: Instances): { call: OpenCall; close(): Promise<void> } {
  const pools = instances.addresses.map((a) => new Pool(`http://${a}`));
  let next = 0;
  return {
    call: async () => {
      const pool = pools[next++ % pools.length]!;
      const res = await pool.request({ path: '/', method: 'GET' });
      await res.body.text();
      return ok(res.statusCode);
    },
    close: async () => {
      await Promise.all(pools.map((p) => p.close()));
    },
  };
}

const suite: BenchSuite = {
  name: 'tail-latency',
  title: 'Tail latency with one slow instance in four: round robin, HAProxy leastconn, P2C-EWMA',
  async run() {
    const { version, unavailable } = haproxyVersion();
    let whyNot = unavailable;
    const instances = await startInstances(4);
    let proxy: Haproxy | undefined;
    const closers: Array<() => Promise<void>> = [];
    try {
      const clients: Record<string, OpenCall> = {};
      const rr = roundRobin(instances);
      closers.push(rr.close);
      clients['round robin (undici Pools)'] = rr.call;
      if (!whyNot) {
        try {
          proxy = await startHaproxy({ servers: instances.ports, balance: 'leastconn' });
          const viaProxy = new Pool(`http://127.0.0.1:${proxy.port}`);
          closers.push(() => viaProxy.close());
          clients['HAProxy leastconn'] = async () => {
            const res = await viaProxy.request({ path: '/', method: 'GET' });
            await res.body.text();
            return ok(res.statusCode);
          };
        } catch (error) {
          whyNot = `HAProxy failed: ${(error as Error).message}`;
        }
      }
      const ours = createHttpClient({ service: 'bench', discovery: instances.addresses });
      closers.push(() => ours.close());
      clients['Outrigger default (P2C-EWMA)'] = async () => {
        const res = await ours.request('/');
        await res.body.text();
        return ok(res.statusCode);
      };
      const samples = await measure(instances, clients);
      return report(samples, version, whyNot);
    } finally {
      for (const close of closers) await close();
      await proxy?.stop();
      await instances.stop();
    }
  },
};

async function measure(instances: Instances, clients: Record<string, OpenCall>): Promise<Samples> {
  const names = Object.keys(clients);
  const samples: Samples = Object.fromEntries(
    names.map((n) => [n, { 'all healthy': [], 'one slow': [] }]),
  );
  const conditions = Object.keys(CONDITIONS) as Condition[];
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + round) % names.length]!;
      // Each client meets the two pools in both orders over the rounds.
      const order = (round + k) % 2 === 0 ? conditions : [...conditions].reverse();
      for (const condition of order) {
        await instances.set(CONDITIONS[condition]);
        await openLoop(clients[name]!, RATE, WARMUP_MS);
        await instances.reset();
        const result = await openLoop(clients[name]!, RATE, SLICE_MS);
        const counts = await instances.counts();
        const total = counts.reduce((a, b) => a + b, 0);
        samples[name]![condition].push({
          result,
          slowShare: total ? counts[SLOW_INDEX]! / total : 0,
        });
      }
    }
  }
  return samples;
}

const over = (s: readonly Sample[], f: (x: Sample) => number): Stats => stats(s.map(f));

function report(samples: Samples, haproxy: string | undefined, whyNot: string | undefined): string {
  const lines = [
    '## Tail latency with one slow instance in four',
    '',
    `Open-loop load, ${RATE} calls/s offered on a fixed schedule (latency from issue to the end of the`,
    `body), against four \`node:http\` instances in a child process: fast ones answer after`,
    `${FAST.delayMs}–${FAST.delayMs + FAST.jitterMs} ms; the slow one after ${SLOW.delayMs}–${SLOW.delayMs + SLOW.jitterMs} ms. Each client runs against the`,
    'all-healthy pool and against the pool with one slow instance, in alternating order, for',
    `${SLICE_MS / 1_000} s each after ${WARMUP_MS / 1_000} s of unmeasured load on that pool (so each meets it warmed up); ${ROUNDS} rounds,`,
    'the clients rotating. The ratio is p99 with one slow over p99 all healthy, per round: median',
    '(min–max) over rounds. "On the slow instance" is the share of requests the slow instance',
    'received, counted by the instances.',
    '',
    '- round robin: four undici `Pool`s, one per instance, taken in turn (no retries).',
    '- HAProxy leastconn: one undici `Pool` to a local HAProxy, `balance leastconn` over the four.',
    '- Outrigger: `createHttpClient` with defaults (P2C over peak EWMA, 10 s deadline, budgeted retry).',
    `- Versions: ${versionsLine(['undici'], haproxy)}`,
    '',
  ];
  if (whyNot) lines.push(`**HAProxy unavailable: ${whyNot}.** Its rows are left out.`, '');
  lines.push(
    '| client | p50 ms, all healthy | p99 ms, all healthy | p50 ms, one slow | p99 ms, one slow | p99 ratio | on the slow instance |',
    '|---|---|---|---|---|---|---|',
  );
  const ratios: Record<string, Stats> = {};
  for (const [name, s] of Object.entries(samples)) {
    const h = s['all healthy'];
    const o = s['one slow'];
    ratios[name] = stats(o.map((x, i) => x.result.p99 / h[i]!.result.p99));
    lines.push(
      `| ${name} | ${fmt(over(h, (x) => x.result.p50))} | ${fmt(over(h, (x) => x.result.p99))} | ${fmt(
        over(o, (x) => x.result.p50),
      )} | ${fmt(over(o, (x) => x.result.p99))} | ${fmt(ratios[name]!)} | ${fmt(
        over(o, (x) => x.slowShare * 100),
        1,
      )}% |`,
    );
  }
  const failed = Object.entries(samples).flatMap(([name, s]) =>
    [...s['all healthy'], ...s['one slow']].some((x) => x.result.failed > 0) ? [name] : [],
  );
  const oursName = 'Outrigger default (P2C-EWMA)';
  const oursRatio = ratios[oursName]!;
  const share = over(samples[oursName]!['one slow'], (x) => x.slowShare * 100);
  lines.push(
    '',
    '### Against the targets',
    '',
    '| measure | value | target | met |',
    '|---|---|---|---|',
    `| Outrigger p99 one slow / all healthy | ${fmt(oursRatio)} | <= ${TARGET} | ${oursRatio.median <= TARGET ? 'met' : 'not met'} |`,
    `| Outrigger calls on the slow instance (%) | ${fmt(share, 2)} | < 1 | ${share.median < 1 ? 'met' : 'not met'} |`,
    '',
    failed.length ? `Calls failed in some slices for: ${failed.join(', ')}.` : 'No call failed.',
  );
  return lines.join('\n');
}

export default suite;
