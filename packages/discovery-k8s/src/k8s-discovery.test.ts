import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigInvalidError,
  type Discovery,
  type Endpoint,
  ManualClock,
  settle,
} from '@outrigger/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { k8sDiscovery, k8sDiscoveryOver } from './k8s-discovery.js';
import { ApiStatusError } from './slice-api.js';
import { FakeApi, slice } from './test-support/fake-api.js';

const open: Discovery[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.close()));
});

function make(api: FakeApi, options: Parameters<typeof k8sDiscoveryOver>[1] = {}) {
  const d = k8sDiscoveryOver(api, {
    namespace: 'shop',
    clock: new ManualClock(),
    random: () => 1 - Number.EPSILON,
    ...options,
  });
  open.push(d);
  return d;
}

function listener() {
  const sets: string[][] = [];
  const errors: Error[] = [];
  return {
    sets,
    errors,
    onEndpoints: (endpoints: readonly Endpoint[]) => sets.push(endpoints.map((e) => e.id)),
    onError: (error: unknown) => errors.push(error as Error),
  };
}

describe('k8sDiscovery', () => {
  it('reads the subscribed name as a Service (namespace and port included)', async () => {
    const api = new FakeApi();
    const l = listener();
    make(api).subscribe('payments.store.svc.cluster.local:metrics', l);
    await settle();
    expect(api.lastList().query).toMatchObject({
      namespace: 'store',
      labelSelector: 'kubernetes.io/service-name=payments',
    });
    api.lastList().answer({
      items: [
        {
          ...slice('payments-a', [{ ip: '10.0.0.1' }], { ns: 'store' }),
          ports: [
            { name: 'http', port: 8080 },
            { name: 'metrics', port: 9100 },
          ],
        },
      ],
      resourceVersion: '7',
    });
    await settle();
    expect(l.sets).toEqual([['10.0.0.1:9100']]);
  });

  it('the service option overrides the subscribed name', async () => {
    const api = new FakeApi();
    make(api, { service: { service: 'billing', namespace: 'money', port: 'http' } }).subscribe(
      'anything',
      listener(),
    );
    await settle();
    expect(api.lastList().query).toMatchObject({
      namespace: 'money',
      labelSelector: 'kubernetes.io/service-name=billing',
    });
  });

  it('one informer per Service for every client in the process; the last close stops it', async () => {
    const api = new FakeApi();
    const a = make(api);
    const b = make(api);
    const la = listener();
    const lb = listener();
    a.subscribe('payments', la);
    await settle();
    api.lastList().answer({ items: [slice('s1', [{ ip: '10.0.0.1' }])], resourceVersion: '5' });
    await settle();
    b.subscribe('payments', lb);
    // The second client gets the set at once, from the running informer.
    expect(lb.sets).toEqual([['10.0.0.1:8080']]);
    expect(api.lists).toHaveLength(1);
    expect(api.watches).toHaveLength(1);
    api
      .lastWatch()
      .emit('MODIFIED', slice('s1', [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], { rv: '6' }));
    expect(la.sets.at(-1)).toEqual(['10.0.0.1:8080', '10.0.0.2:8080']);
    expect(lb.sets.at(-1)).toEqual(['10.0.0.1:8080', '10.0.0.2:8080']);
    await a.close();
    expect(api.lastWatch().aborted).toBe(false);
    await b.close();
    expect(api.lastWatch().aborted).toBe(true);
    // A new subscriber after that starts a new informer.
    make(api).subscribe('payments', listener());
    await settle();
    expect(api.lists).toHaveLength(2);
  });

  it('two ports of one Service share the informer and get their own sets', async () => {
    const api = new FakeApi();
    const http = listener();
    const metrics = listener();
    make(api, { port: 'http' }).subscribe('payments', http);
    make(api, { port: 9100 }).subscribe('payments', metrics);
    await settle();
    expect(api.lists).toHaveLength(1);
    api.lastList().answer({
      items: [
        {
          ...slice('s1', [{ ip: '10.0.0.1' }]),
          ports: [
            { name: 'http', port: 8080 },
            { name: 'metrics', port: 9100 },
          ],
        },
      ],
      resourceVersion: '5',
    });
    await settle();
    expect(http.sets).toEqual([['10.0.0.1:8080']]);
    expect(metrics.sets).toEqual([['10.0.0.1:9100']]);
  });

  it('a failure before the first set reaches listeners, late ones included', async () => {
    const api = new FakeApi();
    const d = make(api);
    const l = listener();
    d.subscribe('payments', l);
    await settle();
    api.lastList().fail(Object.assign(new Error('connect ECONNREFUSED 10.96.0.1:443')));
    await settle();
    expect(l.errors[0]!.message).toBe(
      'Kubernetes discovery of shop/payments (EndpointSlices at https://fake.invalid) failed to list: connect ECONNREFUSED 10.96.0.1:443; retrying in 500 ms',
    );
    const late = listener();
    make(api, { port: 'http' }).subscribe('payments', late);
    expect(late.errors).toHaveLength(1);
    expect(late.errors[0]!.message).toMatch(/ECONNREFUSED/);
  });

  it('a 403 says which permission the service account lacks', async () => {
    const api = new FakeApi();
    const l = listener();
    make(api).subscribe('payments', l);
    await settle();
    api
      .lastList()
      .fail(
        new ApiStatusError(
          403,
          'Forbidden',
          'endpointslices.discovery.k8s.io is forbidden: User "system:serviceaccount:shop:default" cannot list resource "endpointslices"',
        ),
      );
    await settle();
    expect(l.errors[0]!.message).toMatch(
      /failed to list: HTTP 403 Forbidden: .*cannot list.*; the service account needs get, list and watch on endpointslices.discovery.k8s.io in namespace "shop" \(see the package README for a Role\); retrying in 500 ms$/,
    );
  });

  it('after the first set, a lost watch is reported and the last good set kept', async () => {
    const api = new FakeApi();
    const clock = new ManualClock();
    const l = listener();
    make(api, { clock }).subscribe('payments', l);
    await settle();
    api.lastList().answer({ items: [slice('s1', [{ ip: '10.0.0.1' }])], resourceVersion: '5' });
    await settle();
    api.lastWatch().fail(new Error('socket hang up'));
    await settle();
    expect(l.sets).toEqual([['10.0.0.1:8080']]);
    expect(l.errors[0]!.message).toMatch(
      /failed to watch: socket hang up; keeping the last good set, retrying in/,
    );
  });

  it('a bad slice is reported by name and the last good set stays', async () => {
    const api = new FakeApi();
    const l = listener();
    make(api).subscribe('payments', l);
    await settle();
    api.lastList().answer({ items: [slice('s1', [{ ip: '10.0.0.1' }])], resourceVersion: '5' });
    await settle();
    api
      .lastWatch()
      .emit('MODIFIED', { ...slice('s1', [{ ip: '10.0.0.2' }], { rv: '6' }), ports: [] });
    expect(l.sets).toEqual([['10.0.0.1:8080']]);
    expect(l.errors[0]!.message).toBe(
      'Kubernetes discovery of shop/payments (EndpointSlices at https://fake.invalid): EndpointSlice shop/s1: has no port (its ports: none); the slice is ignored and its last good endpoints kept (1 in the set)',
    );
  });

  it('a vanished endpoint is re-published without it once the move grace is over', async () => {
    const api = new FakeApi();
    const clock = new ManualClock();
    const l = listener();
    make(api, { clock, moveGraceMs: 1_000 }).subscribe('payments', l);
    await settle();
    api.lastList().answer({
      items: [slice('s1', [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }])],
      resourceVersion: '5',
    });
    await settle();
    api.lastWatch().emit('MODIFIED', slice('s1', [{ ip: '10.0.0.1' }], { rv: '6' }));
    expect(l.sets).toEqual([['10.0.0.1:8080', '10.0.0.2:8080']]);
    await clock.advanceAsync(1_000);
    expect(l.sets.at(-1)).toEqual(['10.0.0.1:8080']);
  });

  it('close() ends every subscription, and later subscribes are inert', async () => {
    const api = new FakeApi();
    const d = make(api);
    d.subscribe('payments', listener());
    d.subscribe('orders', listener());
    await settle();
    expect(api.lists).toHaveLength(2);
    await d.close();
    expect(api.lists.every((c) => c.query.signal.aborted)).toBe(true);
    d.subscribe('payments', listener());
    await settle();
    expect(api.lists).toHaveLength(2);
  });

  it('checks options at creation with CONFIG_INVALID saying what is valid', () => {
    const api = new FakeApi();
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { pageSize: 0 },
        /k8sDiscovery pageSize=0 is not valid: expected an integer from 1 to 10000/,
      ],
      [{ port: 'HTTP' }, /k8sDiscovery port="HTTP" is not valid: expected a port name/],
      [{ namespace: 'Shop' }, /k8sDiscovery namespace="Shop" is not valid/],
      [{ backoff: { initialMs: 1_000, maxMs: 10 } }, /backoff.maxMs=10 is not valid/],
      [{ service: 'Not A Name' }, /k8sDiscovery service="Not A Name" is not valid/],
      [{ moveGraceMs: -1 }, /moveGraceMs=-1/],
      [{ watchTimeoutSeconds: 1.5 }, /watchTimeoutSeconds=1.5/],
      [{ namespaceFile: 42 }, /k8sDiscovery namespaceFile=42 is not valid: expected a file path/],
      [{ requestTimeoutMs: 0 }, /requestTimeoutMs=0/],
      [{ pageSize: 20_000 }, /pageSize=20000/],
    ];
    for (const [options, message] of cases) {
      expect(() => k8sDiscoveryOver(api, options as never)).toThrow(message);
      expect(() => k8sDiscoveryOver(api, options as never)).toThrow(ConfigInvalidError);
    }
    expect(() => make(api).subscribe('payments.Shop', listener())).toThrow(ConfigInvalidError);
  });

  it('takes the namespace from the service-account file when none is given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outrigger-ns-'));
    try {
      writeFileSync(join(dir, 'namespace'), 'team-a');
      const api = new FakeApi();
      const d = k8sDiscoveryOver(api, { namespaceFile: join(dir, 'namespace') });
      open.push(d);
      d.subscribe('payments', listener());
      await settle();
      expect(api.lastList().query.namespace).toBe('team-a');
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('with no kubeconfig and no cluster, creation fails saying how to configure it', () => {
    const home = mkdtempSync(join(tmpdir(), 'outrigger-home-'));
    try {
      vi.stubEnv('KUBECONFIG', '');
      vi.stubEnv('HOME', home);
      vi.stubEnv('KUBERNETES_SERVICE_HOST', '');
      expect(() => k8sDiscovery()).toThrow(
        /no kubeconfig .*set KUBECONFIG, or pass kubeconfigPath/,
      );
      expect(() => k8sDiscovery({ kubeconfigPath: join(home, 'nope') })).toThrow(
        /k8sDiscovery kubeconfigPath=".*nope" is not valid: expected a readable kubeconfig file/,
      );
    } finally {
      vi.unstubAllEnvs();
      rmSync(home, { recursive: true });
    }
  });
});
