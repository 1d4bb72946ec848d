/**
 * Verification is on by default for the registries too: Kubernetes discovery refuses an API
 * server whose certificate no trusted CA signed (through client-node's defaults, with
 * `insecure-skip-tls-verify` unset), and nothing is delivered. Consul's equivalent is in
 * test/src/consul/transport.test.ts ("Without the CA the agent's certificate is not trusted").
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { Endpoint } from '@outrigger/core';
import { k8sDiscovery } from '@outrigger/discovery-k8s';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { k8sTestCluster, sliceFor, until } from '../k8s/support/cluster.js';
import { type Issued, makeTestPki, type TestPki } from '../support/pki.js';

const cluster = k8sTestCluster();
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

let pki: TestPki;
let selfSigned: Issued;
beforeAll(() => {
  pki = makeTestPki();
  selfSigned = pki.issue('apiserver', {
    san: 'DNS:localhost,IP:127.0.0.1',
    usage: 'serverAuth',
    selfSigned: true,
  });
});
afterAll(() => pki.remove());

/**
 * `user` differs between the two discoveries: k8sDiscovery shares one informer per (server,
 * user credentials, namespace, Service), and the cluster's CA is not part of that key.
 */
function kubeConfig(port: number, user: string, ca?: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'c',
        server: `https://127.0.0.1:${port}`,
        skipTLSVerify: false,
        ...(ca !== undefined && { caData: Buffer.from(ca).toString('base64') }),
      },
    ],
    users: [{ name: user, token: 'token-1' }],
    contexts: [{ name: 'x', cluster: 'c', user, namespace: 'shop' }],
    currentContext: 'x',
  });
  return kc;
}

describe('registry TLS verification', () => {
  it('Kubernetes: a self-signed API server is refused; the same server with its CA given is used', async () => {
    const d = await cluster.apiServer({
      tokens: ['token-1'],
      tls: { key: selfSigned.key, cert: selfSigned.crt },
    });
    const [pod] = await cluster.pods(1);
    d.apply(sliceFor('payments-abc', [pod!]));

    const seen = { sets: [] as string[][], errors: [] as Error[] };
    const untrusting = k8sDiscovery({
      kubeConfig: kubeConfig(d.port, 'untrusting'),
      port: 'http',
      backoff: { initialMs: 20, maxMs: 50 },
    });
    closers.push(() => untrusting.close());
    untrusting.subscribe('payments', {
      onEndpoints: (eps: readonly Endpoint[]) => seen.sets.push(eps.map((e) => e.host)),
      onError: (error) => seen.errors.push(error as Error),
    });
    await until(() => seen.errors.length > 0, 5_000, 'the TLS error');
    expect(String(seen.errors[0]!.message) + String(seen.errors[0]!.cause ?? '')).toMatch(
      /self[- ]signed|certificate/i,
    );
    expect(seen.sets).toEqual([]);
    expect(d.requests).toEqual([]);

    const trusted = { sets: [] as string[][] };
    const trusting = k8sDiscovery({
      kubeConfig: kubeConfig(d.port, 'trusting', selfSigned.crt),
      port: 'http',
      backoff: { initialMs: 20, maxMs: 50 },
    });
    closers.push(() => trusting.close());
    trusting.subscribe('payments', {
      onEndpoints: (eps: readonly Endpoint[]) => trusted.sets.push(eps.map((e) => e.host)),
      onError: () => {},
    });
    await until(() => trusted.sets.length === 1, 5_000, 'the endpoint set');
    expect(trusted.sets[0]).toEqual([pod!.ip]);
  });
});
