import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigInvalidError, type Endpoint } from '@outrigger/core';
import { k8sDiscovery } from '@outrigger/discovery-k8s';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeTestPki, type TestPki } from '../support/pki.js';
import { k8sTestCluster, sliceFor, until } from './support/cluster.js';

const cluster = k8sTestCluster();
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
  for (const close of closers.splice(0)) await close();
});

let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});
afterAll(() => pki.remove());

function record(discovery: ReturnType<typeof k8sDiscovery>, service = 'payments') {
  const seen = { sets: [] as string[][], errors: [] as Error[] };
  discovery.subscribe(service, {
    onEndpoints: (eps: readonly Endpoint[]) => seen.sets.push(eps.map((e) => e.host)),
    onError: (error) => seen.errors.push(error as Error),
  });
  closers.push(() => discovery.close());
  return seen;
}

describe('Kubernetes discovery: authentication as client-node loads it', () => {
  it('a kubeconfig file (explicit path, then KUBECONFIG): its token on every request, its context namespace', async () => {
    const d = await cluster.apiServer({ tokens: ['kubeconfig-token'] });
    const [a] = await cluster.pods(1);
    d.apply(sliceFor('payments-abc', [a!]));
    const path = d.writeKubeconfig(cluster.tempDir(), {
      token: 'kubeconfig-token',
      namespace: 'shop',
    });

    const byPath = record(k8sDiscovery({ kubeconfigPath: path, port: 'http' }));
    await until(() => byPath.sets.length === 1, 5_000, 'the set');
    expect(byPath.sets[0]).toEqual([a!.ip]);
    expect(d.requests.every((r) => r.authorization === 'Bearer kubeconfig-token')).toBe(true);
    expect(d.requests[0]!.path).toBe('/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices');

    vi.stubEnv('KUBECONFIG', path);
    const byEnv = record(k8sDiscovery({ port: 'http' }));
    await until(() => byEnv.sets.length === 1, 5_000, 'the set through KUBECONFIG');
    expect(byEnv.sets[0]).toEqual([a!.ip]);
  });

  it('refused credentials are reported with what to check, and nothing is delivered', async () => {
    const d = await cluster.apiServer({ tokens: ['right'] });
    const kc = cluster.kubeConfig(d, { token: 'wrong' });
    const seen = record(k8sDiscovery({ kubeConfig: kc, backoff: { initialMs: 50, maxMs: 100 } }));
    await until(() => seen.errors.length > 0, 5_000, 'the error');
    expect(seen.errors[0]!.message).toMatch(
      /failed to list: HTTP 401 Unauthorized: Unauthorized; the API server refused the credentials/,
    );
    expect(seen.sets).toEqual([]);
  });

  it('in a pod: service-account token and CA over HTTPS, KUBERNETES_SERVICE_HOST/PORT, the rotated token re-read', async () => {
    const d = await cluster.apiServer({
      tokens: ['token-1'],
      tls: { key: pki.pem['server.key']!, cert: pki.pem['server.crt']! },
    });
    const [a, b] = await cluster.pods(2);
    d.apply(sliceFor('payments-abc', [a!]));
    // The kubelet's mount, under a prefix client-node's loadFromCluster accepts.
    const root = cluster.tempDir();
    const sa = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, 'token'), 'token-1');
    writeFileSync(join(sa, 'ca.crt'), pki.pem['ca.crt']!);
    writeFileSync(join(sa, 'namespace'), 'shop');
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '127.0.0.1');
    vi.stubEnv('KUBERNETES_SERVICE_PORT', String(d.port));
    const kc = new KubeConfig();
    kc.loadFromCluster(root);
    expect(kc.getCurrentCluster()?.server).toBe(`https://127.0.0.1:${d.port}`);

    const seen = record(
      k8sDiscovery({
        kubeConfig: kc,
        namespaceFile: join(sa, 'namespace'),
        port: 'http',
        backoff: { initialMs: 20, maxMs: 50 },
      }),
    );
    await until(() => seen.sets.length === 1 && d.watchCount === 1, 5_000, 'the watch');
    expect(seen.sets[0]).toEqual([a!.ip]);
    expect(d.requests.every((r) => r.authorization === 'Bearer token-1')).toBe(true);

    // The kubelet rotates the projected token; the old one stays valid a while. client-node
    // re-reads the file once its copy is over 60 s old (as client-go does).
    writeFileSync(join(sa, 'token'), 'token-2');
    d.acceptTokens(['token-1', 'token-2']);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 61_000);
    d.dropWatches('destroy');
    await until(
      () => d.requests.some((r) => r.authorization === 'Bearer token-2'),
      5_000,
      'a request with the new token',
    );
    d.acceptTokens(['token-2']);
    d.apply(sliceFor('payments-abc', [a!, b!]));
    await until(() => seen.sets.length === 2, 5_000, 'a change after the rotation');
    expect(seen.sets[1]!.sort()).toEqual([a!.ip, b!.ip].sort());
  });

  it('with neither a kubeconfig nor a cluster, creation says how to run it', () => {
    vi.stubEnv('KUBECONFIG', '');
    vi.stubEnv('HOME', cluster.tempDir());
    const error = (() => {
      try {
        k8sDiscovery();
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigInvalidError);
    expect((error as Error).message).toMatch(/set KUBECONFIG, or pass kubeconfigPath/);
  });
});
