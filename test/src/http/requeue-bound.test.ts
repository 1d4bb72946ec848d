import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { deadAddress, trackedClients } from './servers.js';

const client = trackedClients();

/** The ports undici tries to connect to while `run` runs, as seen on its diagnostics channel. */
async function connectsDuring(run: () => Promise<unknown>): Promise<string[]> {
  const ports: string[] = [];
  const onConnect = (message: unknown) =>
    ports.push(String((message as { connectParams: { port: string } }).connectParams.port));
  subscribe('undici:client:beforeConnect', onConnect);
  try {
    await run();
  } finally {
    unsubscribe('undici:client:beforeConnect', onConnect);
  }
  return ports;
}

const countConnects = async (run: () => Promise<unknown>) => (await connectsDuring(run)).length;

async function deadFleet(n: number): Promise<string[]> {
  const addresses: string[] = [];
  for (let i = 0; i < n; i++) addresses.push(await deadAddress());
  return addresses;
}

describe('requeues against a dead fleet (connection refused everywhere)', () => {
  it('retry: { maxAttempts: 1 } makes one pass over the 3 endpoints, no more', async () => {
    const c = client({
      service: 'dead-one-pass',
      discovery: await deadFleet(3),
      retry: { maxAttempts: 1 },
    });
    for (let i = 0; i < 3; i++) {
      const ports = await connectsDuring(() =>
        c.fetch('/', { method: 'POST', body: 'x' }).catch((e: unknown) => e),
      );
      // 1 attempt + requeues to the 2 endpoints not yet tried: each endpoint once.
      expect(ports).toHaveLength(3);
      expect(new Set(ports).size).toBe(3);
    }
  });

  it('default settings: at most maxAttempts (3) + one pass of requeues (2) per call', async () => {
    const c = client({ service: 'dead-default', discovery: await deadFleet(3) });
    const delays: number[] = [];
    c.events.on('retry.scheduled', (e) => delays.push(e.delayMs));
    const connects = await countConnects(async () => {
      const error = await c.fetch('/').catch((e: unknown) => e);
      expect((error as Error).message).toBe('fetch failed');
      const cause = (error as Error).cause as { code?: string; cause?: { code?: string } };
      expect(cause.code).toBe('UNAVAILABLE');
      expect(cause.cause?.code).toBe('ECONNREFUSED');
    });
    expect(connects).toBe(5);
    // One pass at once (the two untried endpoints), then backoffs: no 0 ms spin on a dead fleet.
    expect(delays.slice(0, 2)).toEqual([0, 0]);
    expect(delays.slice(2).every((d) => d > 0)).toBe(true);
  });

  it('retry.maxRequeues: 0 (or OUTRIGGER_<SERVICE>_RETRY_MAX_REQUEUES=0) with maxAttempts 1 makes one attempt', async () => {
    const fleet = await deadFleet(3);
    const coded = client({
      service: 'dead-none',
      discovery: fleet,
      retry: { maxAttempts: 1, maxRequeues: 0 },
    });
    expect(await countConnects(() => coded.fetch('/').catch((e: unknown) => e))).toBe(1);
    const operated = client({
      service: 'dead-env',
      discovery: fleet,
      retry: { maxAttempts: 1 },
      env: { OUTRIGGER_DEAD_ENV_RETRY_MAX_REQUEUES: '0' },
    });
    expect(await countConnects(() => operated.fetch('/').catch((e: unknown) => e))).toBe(1);
  });
});
