/**
 * The failure suites run their clients side by side, each on its own four instances (one child
 * process serves them all, counting per instance): the same seconds of the same machine for
 * every client, and attempts counted where they land. Rounds build fresh clients, so each round
 * sees a client meet the fault from its first call, as after a deploy.
 */
import { createHttpClient, type HttpClientOptions } from '@outrigger/http';
import type { Behaviour, Instances } from './instances.js';
import { type OpenLoopResult, openLoop } from './open-loop.js';
import type { BenchClient } from './peers.js';

export const GROUP = 4;

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
        return res.statusCode === 200;
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
    const results = await Promise.all(clients.map((c) => openLoop(c.call, rate, durationMs)));
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
