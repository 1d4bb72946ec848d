import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClientSnapshot } from '@outrigger/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient, type HttpClient } from './client.js';

const servers: Server[] = [];
const clients: HttpClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(
    servers.splice(0).map((s) => {
      s.closeAllConnections();
      return new Promise((resolve) => s.close(resolve));
    }),
  );
});

/** A backend on 127.0.0.1 port 0 that answers `ok`, holding `/hold` until `release()`. */
async function backend() {
  const held: ServerResponse[] = [];
  let onHeld: (() => void) | undefined;
  const server = createServer((req, res) => {
    if (req.url !== '/hold') return void res.end('ok');
    held.push(res);
    onHeld?.();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    address,
    held: () =>
      new Promise<void>((resolve) => {
        if (held.length > 0) resolve();
        else onHeld = resolve;
      }),
    release: () => {
      for (const res of held.splice(0)) res.end('ok');
    },
  };
}

const endpointsOf = (s: ClientSnapshot) => {
  if (s.balancer === false) throw new Error('the client has a balancer');
  return s.balancer.endpoints;
};

describe('HttpClient.snapshot()', () => {
  it('reports the endpoints with the call in flight, then its EWMA latency, as JSON-safe data', async () => {
    const [a, b] = [await backend(), await backend()];
    const client = createHttpClient({
      service: 'ledger',
      discovery: [a.address, b.address],
      env: {},
    });
    clients.push(client);

    const before = client.snapshot();
    expect(
      endpointsOf(before)
        .map((e) => e.address)
        .sort(),
    ).toEqual([a.address, b.address].sort());
    expect(endpointsOf(before).every((e) => e.inFlight === 0 && e.latencyMs === null)).toBe(true);

    const pending = client.fetch('/hold');
    await Promise.race([a.held(), b.held()]);
    const during = client.snapshot();
    const busy = endpointsOf(during).filter((e) => e.inFlight === 1);
    expect(busy).toHaveLength(1);
    expect(endpointsOf(during).reduce((n, e) => n + e.inFlight, 0)).toBe(1);
    expect(during.bulkhead).toMatchObject({ inFlight: 1, queued: 0 });

    a.release();
    b.release();
    expect(await (await pending).text()).toBe('ok');
    const after = client.snapshot();
    const answered = endpointsOf(after).find((e) => e.id === busy[0]!.id)!;
    expect(answered.inFlight).toBe(0);
    expect(answered.latencyMs).toBeGreaterThan(0);
    expect(after).toMatchObject({
      service: 'ledger',
      balancer: { name: 'p2c-ewma', panic: [], routes: [] },
      breaker: { state: 'closed', window: { calls: 1, failures: 0, errorPercent: 0 } },
      budget: { ratio: 0.2 },
      bulkhead: { inFlight: 0, queued: 0 },
      rateLimit: false,
    });
    expect(JSON.parse(JSON.stringify(after))).toStrictEqual(after);
  });
});

describe('HttpClient.setRoutes()', () => {
  it('replaces the route table at run time and refuses a bad one, keeping the old', async () => {
    const a = await backend();
    const client = createHttpClient({ service: 'ledger', discovery: [a.address], env: {} });
    clients.push(client);
    const routesOf = () => {
      const { balancer } = client.snapshot();
      if (balancer === false) throw new Error('the client has a balancer');
      return balancer.routes.map((r) => r.name);
    };

    client.setRoutes([{ name: 'reads', match: { method: 'GET' } }]);
    expect(routesOf()).toEqual(['reads']);
    expect(() => client.setRoutes([{ name: 'bad', split: [] }])).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    expect(routesOf()).toEqual(['reads']);
    expect(await (await client.fetch('/')).text()).toBe('ok');
  });
});
