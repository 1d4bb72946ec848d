/**
 * A small cluster for the cross-package Kubernetes tests: pods as real `node:http` servers on
 * their own loopback addresses (127.0.0.2, .3, ... on one port, as pods share a targetPort and
 * differ by IP), EndpointSlices for them in the API double, and a KubeConfig loaded from a
 * kubeconfig file through client-node's own loader.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { Discovery } from '@outrigger/core';
import { type K8sDiscoveryOptions, k8sDiscovery } from '@outrigger/discovery-k8s';
import { createHttpClient, type HttpClient } from '@outrigger/http';
import { afterEach } from 'vitest';
import { ApiServerDouble, type ApiServerDoubleOptions, type Slice } from './apiserver-double.js';

export type Handler = (req: IncomingMessage, res: ServerResponse, pod: Pod) => void;

export interface Pod {
  readonly name: string;
  readonly ip: string;
  readonly port: number;
  readonly server: Server;
  /** Requests received, and when (performance.now()). */
  readonly arrivals: number[];
  handler: Handler;
}

export const ok: Handler = (_req, res, pod) => {
  res.setHeader('x-pod', pod.name);
  res.end(pod.name);
};

/** Everything a test made, closed after it. */
interface Made {
  discoveries: Discovery[];
  doubles: ApiServerDouble[];
  servers: { server: Server; sockets: Set<Socket> }[];
  clients: HttpClient[];
  dirs: string[];
}

export function k8sTestCluster() {
  const made: Made = { discoveries: [], doubles: [], servers: [], clients: [], dirs: [] };
  afterEach(async () => {
    await Promise.all(made.clients.splice(0).map((c) => c.close()));
    await Promise.all(made.discoveries.splice(0).map((c) => c.close()));
    await Promise.all(made.doubles.splice(0).map((d) => d.close()));
    await Promise.all(
      made.servers.splice(0).map(
        ({ server, sockets }) =>
          new Promise<void>((resolve) => {
            for (const s of sockets) s.destroy();
            server.close(() => resolve());
          }),
      ),
    );
    for (const dir of made.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  let nextHost = 2;
  let nextPod = 0;

  /** `count` pods listening on one port, each on its own 127.0.0.x. */
  async function pods(count: number, handler: Handler = ok): Promise<Pod[]> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const hosts = Array.from({ length: count }, () => `127.0.0.${nextHost++}`);
      if (nextHost > 250) nextHost = 2;
      const first = await listen(hosts[0]!, 0);
      if (first instanceof Error) continue;
      const port = (first.server.address() as AddressInfo).port;
      const started = [first];
      let failed = false;
      for (const host of hosts.slice(1)) {
        const s = await listen(host, port);
        if (s instanceof Error) {
          failed = true;
          break;
        }
        started.push(s);
      }
      if (failed) {
        for (const s of started) s.server.close();
        continue;
      }
      return started.map(({ server, sockets }, i) => {
        const pod: Pod = {
          name: `payments-${(nextPod++).toString(36).padStart(5, '0')}`,
          ip: hosts[i]!,
          port,
          server,
          arrivals: [],
          handler,
        };
        server.on('request', (req, res) => {
          pod.arrivals.push(performance.now());
          pod.handler(req, res, pod);
        });
        made.servers.push({ server, sockets });
        return pod;
      });
    }
    throw new Error('no free port on the loopback addresses after 20 tries');
  }

  async function apiServer(options: ApiServerDoubleOptions = {}): Promise<ApiServerDouble> {
    const d = await ApiServerDouble.start(options);
    made.doubles.push(d);
    return d;
  }

  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'outrigger-k8s-'));
    made.dirs.push(dir);
    return dir;
  }

  /** A KubeConfig read from a kubeconfig file for the double: client-node's real loading path. */
  function kubeConfig(d: ApiServerDouble, options: { token?: string } = {}): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromFile(d.writeKubeconfig(tempDir(), { ...options, namespace: 'shop' }));
    return kc;
  }

  /** A real HTTP client for Service `payments` in `shop`, discovering through the double. */
  function client(
    d: ApiServerDouble,
    options: Partial<K8sDiscoveryOptions> = {},
    clientOptions: Partial<Parameters<typeof createHttpClient>[0]> = {},
  ): HttpClient {
    const c = createHttpClient({
      service: 'payments',
      discovery: k8sDiscovery({ kubeConfig: kubeConfig(d), port: 'http', ...options }),
      ...clientOptions,
    });
    made.clients.push(c);
    return c;
  }

  /**
   * Every set and error the process's informer for `payments` delivers: it is the one the
   * clients share, so a set seen here has reached them in the same turn.
   */
  function observe(d: ApiServerDouble, options: Partial<K8sDiscoveryOptions> = {}): Observed {
    const discovery = k8sDiscovery({ kubeConfig: kubeConfig(d), port: 'http', ...options });
    made.discoveries.push(discovery);
    const observed: Observed = {
      sets: [],
      times: [],
      errors: [],
      get last() {
        return observed.sets.at(-1) ?? [];
      },
    };
    discovery.subscribe('payments.shop', {
      onEndpoints: (endpoints) => {
        observed.times.push(performance.now());
        observed.sets.push(endpoints.map((e) => e.host));
      },
      onError: (error) => observed.errors.push(error as Error),
    });
    return observed;
  }

  return { pods, apiServer, kubeConfig, client, observe, tempDir };
}

function listen(
  host: string,
  port: number,
): Promise<{ server: Server; sockets: Set<Socket> } | Error> {
  return new Promise((resolve) => {
    const server = createServer();
    const sockets = new Set<Socket>();
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    server.once('error', (e) => resolve(e));
    server.listen(port, host, () => resolve({ server, sockets }));
  });
}

export interface Observed {
  /** Each set delivered, as pod IPs. */
  readonly sets: string[][];
  /** When each set was delivered (performance.now()). */
  readonly times: number[];
  readonly errors: Error[];
  readonly last: string[];
}

export interface PodState {
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
  zone?: string;
}

/** An EndpointSlice of Service `payments` in `shop` listing `pods` on their (shared) port. */
export function sliceFor(
  name: string,
  pods: readonly Pod[],
  states: Readonly<Record<string, PodState>> = {},
  service = 'payments',
): Slice {
  return {
    metadata: {
      name,
      namespace: 'shop',
      generateName: `${service}-`,
      labels: {
        'kubernetes.io/service-name': service,
        'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
      },
    },
    addressType: 'IPv4',
    endpoints: pods.map((p) => {
      const s = states[p.name] ?? {};
      return {
        addresses: [p.ip],
        conditions: {
          ready: s.ready ?? true,
          serving: s.serving ?? true,
          terminating: s.terminating ?? false,
        },
        nodeName: 'node-1',
        targetRef: { kind: 'Pod', namespace: 'shop', name: p.name },
        ...(s.zone ? { zone: s.zone } : {}),
      };
    }),
    ports: [{ name: 'http', protocol: 'TCP', port: pods[0]?.port ?? 8080 }],
  };
}

/** Polls `check` every few ms until it holds; a bounded wait for state that has no event. */
export async function until(
  check: () => boolean,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<void> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
