import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consulDiscovery, registerWithConsul } from '@outrigger/discovery-consul';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../support/pki.js';
import { ConsulDouble } from './support/consul-double.js';
import { until } from './support/traffic.js';

let pki: TestPki;
let dir: string;
let double: ConsulDouble | undefined;
beforeAll(() => {
  pki = makeTestPki();
  dir = mkdtempSync(join(tmpdir(), 'consul-env-'));
  for (const name of ['ca.crt', 'client.crt', 'client.key'])
    writeFileSync(join(dir, name), pki.pem[name]!);
});
afterAll(() => {
  pki.remove();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await double?.close();
  double = undefined;
});

async function firstSet(env: Record<string, string>) {
  const d = consulDiscovery({ env });
  const sets: number[] = [];
  const errors: Error[] = [];
  const stop = d.subscribe('web', {
    onEndpoints: (e) => sets.push(e.length),
    onError: (e) => errors.push(e as Error),
  });
  await until(() => sets.length > 0 || errors.length > 0, 5_000);
  stop();
  await d.close();
  return { sets, errors };
}

describe('reaching the agent as the Consul CLI does', () => {
  it('https with CONSUL_CACERT, and a client certificate from CONSUL_CLIENT_CERT / CONSUL_CLIENT_KEY (mTLS)', async () => {
    double = await ConsulDouble.start({
      tls: { key: pki.pem['server.key']!, cert: pki.pem['server.crt']!, ca: pki.pem['ca.crt']! },
    });
    double.addInstance({ id: 'a', name: 'web', port: 1 });
    expect(double.address).toMatch(/^https:/);
    const ok = await firstSet({
      CONSUL_HTTP_ADDR: double.address,
      CONSUL_CACERT: join(dir, 'ca.crt'),
      CONSUL_CLIENT_CERT: join(dir, 'client.crt'),
      CONSUL_CLIENT_KEY: join(dir, 'client.key'),
    });
    expect(ok).toEqual({ sets: [1], errors: [] });

    // Without the CA the agent's certificate is not trusted; without a client certificate the agent refuses.
    const untrusted = await firstSet({ CONSUL_HTTP_ADDR: double.address });
    expect(untrusted.errors[0]?.message).toMatch(/certificate|self.signed|UNABLE_TO_VERIFY/i);
    const noClientCert = await firstSet({
      CONSUL_HTTP_ADDR: double.address,
      CONSUL_CACERT: join(dir, 'ca.crt'),
    });
    expect(noClientCert.sets).toEqual([]);
    expect(noClientCert.errors.length).toBeGreaterThan(0);
  });

  it('unix:// sockets, for discovery and registration', async () => {
    const socketPath = join(mkdtempSync(join(tmpdir(), 'consul-sock-')), 'agent.sock');
    double = await ConsulDouble.start({ socketPath });
    double.addInstance({ id: 'a', name: 'web', port: 1 });
    expect(await firstSet({ CONSUL_HTTP_ADDR: `unix://${socketPath}` })).toEqual({
      sets: [1],
      errors: [],
    });
    const r = await registerWithConsul({
      env: { CONSUL_HTTP_ADDR: `unix://${socketPath}` },
      name: 'api',
      port: 80,
      drainMs: 0,
    });
    expect(double.instances('api')).toHaveLength(1);
    await r.close();
    expect(double.instances('api')).toHaveLength(0);
  });
});
