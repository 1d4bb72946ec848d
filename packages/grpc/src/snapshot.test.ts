import type { ClientSnapshot } from '@outrigger/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createGrpcClient, type OutriggerGrpcClient } from './client.js';
import { EchoClient, type EchoServer, startEchoServer } from './test-support/echo.js';

type Echo = OutriggerGrpcClient<Record<string, unknown>>;

const servers: EchoServer[] = [];
const clients: Echo[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const endpointsOf = (s: ClientSnapshot) => {
  if (s.balancer === false) throw new Error('the client has a balancer');
  return s.balancer.endpoints;
};

describe('createGrpcClient: snapshot()', () => {
  it('reports the endpoint with the call in flight, then its EWMA latency, as JSON-safe data', async () => {
    let arrived!: () => void;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    // The server answers 50 ms after the call arrives: long enough to look while it is out.
    const server = await startEchoServer({
      delay: () => {
        arrived();
        return 50;
      },
    });
    servers.push(server);
    const client = createGrpcClient(EchoClient, {
      service: 'echo',
      discovery: [server.address],
      env: {},
    }) as Echo;
    clients.push(client);

    expect(Object.keys(client)).not.toContain('snapshot');
    expect(endpointsOf(client.snapshot())).toMatchObject([
      { address: server.address, inFlight: 0, latencyMs: null, ejected: false },
    ]);

    const pending = client.unary.Say!({ text: 'hi' });
    await arrival;
    const during = client.snapshot();
    expect(endpointsOf(during)[0]!.inFlight).toBe(1);
    expect(during.bulkhead).toMatchObject({ inFlight: 1, queued: 0 });

    await expect(pending).resolves.toMatchObject({ text: 'hi' });
    const after = client.snapshot();
    expect(endpointsOf(after)[0]!.inFlight).toBe(0);
    expect(endpointsOf(after)[0]!.latencyMs).toBeGreaterThanOrEqual(40);
    expect(after).toMatchObject({
      service: 'echo',
      breaker: { state: 'closed', window: { calls: 1, failures: 0 } },
      bulkhead: { inFlight: 0, queued: 0 },
      rateLimit: false,
    });
    expect(JSON.parse(JSON.stringify(after))).toStrictEqual(after);
  });
});
