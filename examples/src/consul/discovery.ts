/**
 * Consul end to end against a real agent: a local backend registers itself (TTL check kept
 * alive by the helper), an Outrigger HTTP client finds it through Consul's health API with a
 * blocking watch, calls it, and everything is closed (the instance drained and deregistered).
 *
 *   consul agent -dev &                                  # or any agent you can reach
 *   CONSUL_HTTP_ADDR=http://127.0.0.1:8500 npm run example:consul
 *
 * With ACLs on, the token needs `service:write` on `outrigger-example` (to register) and
 * `service:read` on it plus `node:read` (to discover); see the package README.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { consulDiscovery, registerWithConsul } from '@outrigger/discovery-consul';
import { createHttpClient } from '@outrigger/http';

if (!process.env.CONSUL_HTTP_ADDR) {
  console.log(
    [
      'This example needs a Consul agent. Start one (for instance `consul agent -dev`) and run:',
      '',
      '  CONSUL_HTTP_ADDR=http://127.0.0.1:8500 npm run example:consul',
      '',
      'CONSUL_HTTP_TOKEN, CONSUL_CACERT, CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY are read too.',
    ].join('\n'),
  );
  process.exit(0);
}

const server = createServer((_req, res) => res.end(`hello from pid ${process.pid}\n`));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;

// The sidekick: registers this instance, keeps its TTL check passing, drains on close.
const registration = await registerWithConsul({
  name: 'outrigger-example',
  address: '127.0.0.1',
  port,
  meta: { version: 'v1' },
  check: { ttlMs: 10_000 },
  drainMs: 500,
});
console.log(`registered ${registration.serviceId} on 127.0.0.1:${port}`);

const client = createHttpClient({
  service: 'outrigger-example',
  discovery: consulDiscovery(),
  timeout: { totalMs: 2_000, perTryMs: 500 },
});
for (let i = 0; i < 3; i++) {
  const res = await client.fetch('/');
  console.log(res.status, (await res.text()).trim());
}

await client.close();
await registration.close();
server.close();
console.log('closed: the instance is deregistered and the watch stopped');
