import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Endpoint } from '@outrigger/core';
import { afterEach, describe, expect, it } from 'vitest';
import { openAgents } from './agent-registry.js';
import { consulDiscovery, openWatches } from './consul-discovery.js';

let server: Server | undefined;
const seen: string[] = [];
afterEach(async () => {
  seen.length = 0;
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** An agent that answers every health query with one instance of the service asked for, and holds blocking ones. */
async function agent(): Promise<string> {
  server = createServer((req, res) => {
    seen.push(req.url ?? '');
    if ((req.url ?? '').includes('index=')) return; // blocking: held until closed
    const name = decodeURIComponent(/service\/([^?]+)/.exec(req.url ?? '')![1]!);
    res.setHeader('x-consul-index', '5');
    res.end(
      JSON.stringify([
        {
          Node: { Node: 'n1', Address: '10.0.0.1' },
          Service: { ID: name, Service: name, Address: '', Port: 80 },
          Checks: [],
        },
      ]),
    );
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function collect(sets: (readonly Endpoint[])[]) {
  return { onEndpoints: (e: readonly Endpoint[]) => sets.push(e) };
}

const until = async (f: () => boolean) => {
  for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(f()).toBe(true);
};

describe('consulDiscovery', () => {
  it('shares one watch per query across Discovery objects and releases the agent with the last subscriber', async () => {
    const agentAddress = await agent();
    const a = consulDiscovery({ agentAddress, env: {} });
    const b = consulDiscovery({ agentAddress, env: {} });
    const sets: (readonly Endpoint[])[] = [];
    const stopA = a.subscribe('payments', collect(sets));
    b.subscribe('payments', collect(sets));
    await until(() => sets.length === 2);
    expect(openWatches()).toBe(1);
    expect(openAgents()).toBe(1);
    expect(seen.filter((u) => !u.includes('index='))).toHaveLength(1);
    stopA();
    expect(openWatches()).toBe(1);
    await b.close();
    expect(openWatches()).toBe(0);
    expect(openAgents()).toBe(0);
    await a.close();
  });

  it('queries serviceName instead of the subscribed name when given, and nothing after close()', async () => {
    const agentAddress = await agent();
    const d = consulDiscovery({ agentAddress, env: {}, serviceName: 'payments-v2' });
    const sets: (readonly Endpoint[])[] = [];
    d.subscribe('payments', collect(sets));
    await until(() => sets.length === 1);
    expect(sets[0]?.[0]?.id).toBe('n1/payments-v2');
    await d.close();
    d.subscribe('payments', collect(sets));
    expect(openWatches()).toBe(0);
  });

  it('refuses bad options at creation with CONFIG_INVALID', () => {
    expect(() => consulDiscovery({ agentAddress: 'ftp://x', env: {} })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });
});
