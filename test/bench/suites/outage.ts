/**
 * A total outage: every instance answers 503; attempts per logical call, counted at
 * the instances, for p-retry with 3 retries, cockatiel's retry (maxAttempts 3) and Outrigger's
 * defaults (retry under a budget, breaker). Also Outrigger with its breaker off, so that the
 * budget's own bound is seen apart from the breaker's. Clients side by side, each on its own
 * four instances, fresh every round, at a steady rate long enough to amortise the budget's floor.
 */
import { fmt, type Stats, stats } from '../lib/stats.js';
import type { BenchSuite } from '../lib/suite.js';
import { type Behaviour, startInstances } from './comparisons/instances.js';
import { formatReasons, sumReasons } from './comparisons/open-loop.js';
import {
  type ClientFactory,
  GROUP,
  type GroupResult,
  outriggerClient,
  parallelRound,
  stallNote,
} from './comparisons/parallel.js';
import { cockatielClient, cockatielRetryClient, pRetryClient } from './comparisons/peers.js';
import { versionsLine } from './comparisons/versions.js';

const RATE = 250;
const DURATION_MS = 20_000;
const ROUNDS = 3;
const TARGET = 1.25;
const DOWN: Behaviour = { delayMs: 1, jitterMs: 1, status: 503 };
const OURS = 'Outrigger (defaults)';
const BUDGET_ONLY = 'Outrigger, breaker off (the budget alone)';

const FACTORIES: Record<string, ClientFactory> = {
  'p-retry, retries: 3': (a) => pRetryClient(a),
  'cockatiel retry (maxAttempts: 3)': (a) => cockatielRetryClient(a),
  'cockatiel retry + circuitBreaker (its README)': (a) => cockatielClient(a),
  [OURS]: outriggerClient(),
  [BUDGET_ONLY]: outriggerClient({ breaker: false }),
};

const suite: BenchSuite = {
  name: 'outage',
  title: 'A total outage: attempts per call',
  async run() {
    const instances = await startInstances(GROUP * Object.keys(FACTORIES).length);
    const rounds: Array<Record<string, GroupResult>> = [];
    try {
      for (let round = 0; round < ROUNDS; round++) {
        rounds.push(
          await parallelRound(instances, FACTORIES, [DOWN, DOWN, DOWN, DOWN], RATE, DURATION_MS),
        );
      }
    } finally {
      await instances.stop();
    }
    return report(rounds);
  },
};

function report(rounds: ReadonlyArray<Record<string, GroupResult>>): string {
  const seconds = DURATION_MS / 1_000;
  // The floor's share over one run of a fresh client: the standing 100 tokens spent at once,
  // then ~10 a second as withdrawals age out of the 10 s window, over the calls made.
  const floorPerCall = (100 + 10 * seconds) / (RATE * seconds);
  const lines = [
    '## A total outage: attempts per call',
    '',
    `Every instance answers 503 (after ${DOWN.delayMs}–${DOWN.delayMs + DOWN.jitterMs} ms). Open-loop load, ${RATE} calls/s per client for ${seconds} s,`,
    `the clients side by side, each on its own four \`node:http\` instances (round robin for the`,
    `peers), fresh clients every round, ${ROUNDS} rounds. Attempts per call: the requests the instances`,
    'received over the calls made: median (min–max) over rounds.',
    '',
    '- p-retry: `pRetry(fn, { retries: 3, minTimeout: 25, maxTimeout: 250 })` (four attempts at',
    '  most; its default 1 s first delay changes only how long a call takes).',
    '- cockatiel: `wrap(retry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() }),',
    '  circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }))`:',
    '  `maxAttempts` counts retries, so four attempts at most; an open breaker refuses without a',
    '  request, though the retry still spends its attempts on the refusals.',
    '- Outrigger: `createHttpClient` with defaults (3 attempts, retries drawn from a budget of 20%',
    '  of recent calls plus 10 per second; breaker at 50% failures over at least 20 calls in 10 s,',
    '  open for 10 s). The breaker-off row shows the budget alone.',
    `- Versions: ${versionsLine(['undici', 'cockatiel', 'p-retry'])}`,
    '',
    "**The budget's floor.** `minPerSecond: 10` lets a quiet client retry at all: the budget always",
    'holds 100 tokens (10 per second over its 10 s window) beside the 0.2 each call deposits. A client',
    'making a few calls a second therefore retries nearly every failed call. A fresh client can spend',
    'the 100 at once and then about 10 more per second as its withdrawals age out of the window, so',
    `over s seconds at R calls/s the floor adds up to (100 + 10·s) / (R·s) attempts per call: at ${RATE} calls/s`,
    `over ${seconds} s, ${floorPerCall.toFixed(3)}, and the budget alone bounds attempts per call near ${(1 + 0.2 + floorPerCall).toFixed(2)}`,
    `(tending to 1.2 + 10/R = ${(1.2 + 10 / RATE).toFixed(2)} as the outage goes on). With the default breaker, once it opens`,
    'nothing is sent for 10 s but a probe.',
    '',
    '| client | attempts per call | calls succeeded | failures by reason |',
    '|---|---|---|---|',
  ];
  const attempts: Record<string, Stats> = {};
  for (const name of Object.keys(FACTORIES)) {
    const rs = rounds.map((r) => r[name]!);
    attempts[name] = stats(rs.map((r) => r.attemptsPerCall));
    const ok = rs.reduce((a, r) => a + r.result.ok, 0);
    const calls = rs.reduce((a, r) => a + r.result.calls, 0);
    lines.push(
      `| ${name} | ${fmt(attempts[name]!, 3)} | ${ok} of ${calls} | ${formatReasons(sumReasons(rs.map((r) => r.result)))} |`,
    );
  }
  const ours = attempts[OURS]!;
  const alone = attempts[BUDGET_ONLY]!;
  lines.push(
    '',
    '### Against the targets',
    '',
    '| measure | value | target | met |',
    '|---|---|---|---|',
    `| Outrigger attempts per call, defaults | ${fmt(ours, 3)} | <= ${TARGET} | ${ours.median <= TARGET ? 'met' : 'not met'} |`,
    `| Outrigger attempts per call, breaker off | ${fmt(alone, 3)} | (informative) | — |`,
    '',
    stallNote(rounds),
  );
  return lines.join('\n');
}

export default suite;
