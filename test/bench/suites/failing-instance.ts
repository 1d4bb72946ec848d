/**
 * A failing instance: four instances, one answering 503 to every request; the
 * success rate of a plain client (round robin over undici Pools, no retry), of cockatiel's
 * retry + breaker around the same, and of Outrigger with defaults. The clients run side by side
 * on their own four instances each, fresh every round (so each meets the failing instance
 * from its first call); the instances count the requests, for the load each client adds.
 */
import { fmt, type Stats, stats } from '../lib/stats.js';
import type { BenchSuite } from '../lib/suite.js';
import type { Behaviour } from './comparisons/instances.js';
import { startInstances } from './comparisons/instances.js';
import { formatReasons, sumReasons } from './comparisons/open-loop.js';
import {
  type ClientFactory,
  GROUP,
  type GroupResult,
  outriggerClient,
  parallelRound,
  stallNote,
} from './comparisons/parallel.js';
import { cockatielClient, plainClient } from './comparisons/peers.js';
import { versionsLine } from './comparisons/versions.js';

const RATE = 400;
const DURATION_MS = 10_000;
const ROUNDS = 3;
const TARGET = 99.9;
const HEALTHY: Behaviour = { delayMs: 1, jitterMs: 1, status: 200 };
const FAILING: Behaviour = { delayMs: 1, jitterMs: 1, status: 503 };
const OURS = 'Outrigger (defaults)';

const FACTORIES: Record<string, ClientFactory> = {
  'plain undici, round robin, no retry': plainClient,
  'cockatiel wrap(retry, circuitBreaker) around undici': cockatielClient,
  [OURS]: outriggerClient(),
};

const suite: BenchSuite = {
  name: 'failing-instance',
  title: 'One instance in four failing every call: success rate',
  async run() {
    const instances = await startInstances(GROUP * Object.keys(FACTORIES).length);
    const rounds: Array<Record<string, GroupResult>> = [];
    try {
      for (let round = 0; round < ROUNDS; round++) {
        rounds.push(
          await parallelRound(
            instances,
            FACTORIES,
            [HEALTHY, HEALTHY, HEALTHY, FAILING],
            RATE,
            DURATION_MS,
          ),
        );
      }
    } finally {
      await instances.stop();
    }
    return report(rounds);
  },
};

function report(rounds: ReadonlyArray<Record<string, GroupResult>>): string {
  const lines = [
    '## One instance in four failing every call',
    '',
    `Four \`node:http\` instances per client (in one child process); three answer 200 after`,
    `${HEALTHY.delayMs}–${HEALTHY.delayMs + HEALTHY.jitterMs} ms, the fourth 503 after the same. Open-loop load, ${RATE} calls/s per client for`,
    `${DURATION_MS / 1_000} s, the clients side by side (each on its own four instances), ${ROUNDS} rounds, each with`,
    'fresh clients that meet the failing instance from their first call. A call succeeds when it',
    'ends in a 200. Success rate: median (min–max) over rounds, and over all calls; attempts per',
    'call are the requests the instances received over the calls made; p99 and max are latencies',
    "(median over rounds) — the peers set no deadline, Outrigger's default is 10 s.",
    '',
    '- plain: four undici `Pool`s taken in turn, no retry.',
    '- cockatiel: `wrap(retry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() }),',
    '  circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }))`',
    '  (its README), each attempt on the next instance, a 5xx thrown as an error.',
    '- Outrigger: `createHttpClient` with defaults (P2C-EWMA, retry on 503 under the 20% budget,',
    '  outlier detection, breaker).',
    `- Versions: ${versionsLine(['undici', 'cockatiel'])}`,
    '',
    '| client | success %, per round | success %, all calls | failed calls | attempts per call | p99 ms | max ms | failures by reason |',
    '|---|---|---|---|---|---|---|---|',
  ];
  const rates: Record<string, Stats> = {};
  for (const name of Object.keys(FACTORIES)) {
    const rs = rounds.map((r) => r[name]!);
    rates[name] = stats(rs.map((r) => (100 * r.result.ok) / r.result.calls));
    const calls = rs.reduce((a, r) => a + r.result.calls, 0);
    const ok = rs.reduce((a, r) => a + r.result.ok, 0);
    lines.push(
      `| ${name} | ${fmt(rates[name]!, 3)} | ${((100 * ok) / calls).toFixed(3)} | ${calls - ok} of ${calls} | ${fmt(
        stats(rs.map((r) => r.attemptsPerCall)),
        3,
      )} | ${fmt(stats(rs.map((r) => r.result.p99)), 1)} | ${fmt(stats(rs.map((r) => r.result.max)), 0)} | ${formatReasons(sumReasons(rs.map((r) => r.result)))} |`,
    );
  }
  const ours = rates[OURS]!;
  lines.push(
    '',
    '### Against the targets',
    '',
    '| measure | value | target | met |',
    '|---|---|---|---|',
    `| Outrigger success rate (%) | ${fmt(ours, 3)} | >= ${TARGET} | ${ours.median >= TARGET ? 'met' : 'not met'} |`,
    '',
    stallNote(rounds),
  );
  return lines.join('\n');
}

export default suite;
