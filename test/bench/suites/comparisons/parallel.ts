/**
 * The failure suites run their clients side by side, each on its own four instances (one child
 * process serves them all, counting per instance): the same seconds of the same machine for
 * every client, and attempts counted where they land. Rounds build fresh clients, so each round
 * sees a client meet the fault from its first call, as after a deploy.
 */
import { createHttpClient, type HttpClientOptions } from '@outrigger/http';
import type { Behaviour, Instances } from './instances.js';
import { type OpenLoopResult, openLoop } from './open-loop.js';
import { type BenchClient, StatusError } from './peers.js';

export const GROUP = 4;
/**
 * How long a round waits for its last calls: every client here ends a call within ~10 s (the
 * longest is Outrigger's default deadline); longer means the machine is starved, and the
 * calls still out are counted as failed (`unfinished`) rather than stretching the run.
 */
const DRAIN_MS = 12_000;

export type ClientFactory = (addresses: readonly string[]) => BenchClient;

export interface GroupResult {
  readonly result: OpenLoopResult;
  /** Requests the group's instances received, per logical call. */
  readonly attemptsPerCall: number;
}

/** Outrigger's HTTP client over the instances: success is a 200 (any status resolves). */
export function outriggerClient(options: Partial<HttpClientOptions> = {}): ClientFactory {
  return (addresses) => {
    const client = createHttpClient({ service: 'bench', discovery: addresses, ...options });
    return {
      call: async () => {
        const res = await client.request('/');
        await res.body.text();
        if (res.statusCode !== 200) throw new StatusError(res.statusCode);
        return true;
      },
      close: () => client.close(),
    };
  };
}

/** One round: every client built fresh on its group, all loaded at once, counts per group. */
export async function parallelRound(
  instances: Instances,
  factories: Readonly<Record<string, ClientFactory>>,
  behaviour: readonly Behaviour[],
  rate: number,
  durationMs: number,
): Promise<Record<string, GroupResult>> {
  const names = Object.keys(factories);
  await instances.set(names.flatMap(() => behaviour));
  await instances.reset();
  const clients = names.map((name, g) =>
    factories[name]!(instances.addresses.slice(g * GROUP, (g + 1) * GROUP)),
  );
  try {
    const results = await Promise.all(
      clients.map((c) => openLoop(c.call, rate, durationMs, DRAIN_MS)),
    );
    const counts = await instances.counts();
    return Object.fromEntries(
      names.map((name, g) => {
        const received = counts.slice(g * GROUP, (g + 1) * GROUP).reduce((a, b) => a + b, 0);
        return [name, { result: results[g]!, attemptsPerCall: received / results[g]!.calls }];
      }),
    );
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

/**
 * A call slower than this, where every instance answers within a few ms and no client waits
 * more than ~3 s in backoff, means the machine stalled (the bench shares two cores).
 */
export const STALL_MS = 5_000;

/** `k of n rounds ...` when some round stalled, so a reader can tell a starved run from a fault. */
export function stallNote(rounds: ReadonlyArray<Record<string, GroupResult>>): string {
  const stalled = rounds.filter((r) => Object.values(r).some((g) => g.result.max > STALL_MS));
  if (stalled.length === 0) return 'No round stalled: every call ended within 5 s.';
  return `**${stalled.length} of ${rounds.length} rounds stalled**: some call took over ${STALL_MS / 1_000} s where the instances answer within a few ms, so the machine was starved (it is shared); a deadline turns such a stall into failures where a client without one just waits. Figures from a quiet machine supersede these.`;
}
