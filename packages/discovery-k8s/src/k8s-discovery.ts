import { createHash } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import {
  type Clock,
  ConfigInvalidError,
  type Discovery,
  type DiscoveryListener,
  type Disposer,
  systemClock,
} from '@outrigger/core';
import { clientNodeApi } from './client-api.js';
import { Informer } from './informer.js';
import {
  checkNamespace,
  checkPort,
  namespaceFromFile,
  type PortSelector,
  parseServiceName,
  SERVICE_ACCOUNT_NAMESPACE_FILE,
  type ServiceRef,
  type ServiceSpec,
  serviceRefOf,
} from './service-name.js';
import type { SliceApi } from './slice-api.js';

export interface K8sDiscoveryOptions {
  /**
   * The Service to watch, whatever name the client subscribes with: `"payments"`,
   * `"payments.shop"`, `"payments.shop.svc.cluster.local"`, with an optional `":http"`, or
   * `{ service, namespace, port }`. Default: the client's service name, read the same way.
   */
  service?: string | ServiceSpec | undefined;
  /** Namespace of names without one. Default: the pod's own, else the kubeconfig context's, else `default`. */
  namespace?: string | undefined;
  /** The Service port by name (`http`) or the pods' port number. Default: the only port. */
  port?: PortSelector | undefined;
  /** A loaded client-node KubeConfig. Default: `kubeconfigPath`, else client-node's `loadFromDefault()`. */
  kubeConfig?: KubeConfig | undefined;
  /** A kubeconfig file to load instead of `KUBECONFIG` / `~/.kube/config` / in-cluster. */
  kubeconfigPath?: string | undefined;
  /** Where the pod's namespace is read from. Default: the service-account mount. */
  namespaceFile?: string | undefined;
  /**
   * How long a ready endpoint that vanishes from every slice is kept, waiting for it to reappear
   * in another (a move between slices is two writes, in either order). A pod that stops turns
   * not-ready first and leaves at once. Default 1,000; 0 turns it off.
   */
  moveGraceMs?: number | undefined;
  /** Slices per list page (`limit`). Default 500. */
  pageSize?: number | undefined;
  /** Shortest server-side watch timeout; each watch asks for 1 to 2 times this. Default 300. */
  watchTimeoutSeconds?: number | undefined;
  /** A list request without an answer this long is abandoned and retried. Default 30,000. */
  requestTimeoutMs?: number | undefined;
  /** Reconnection back-off: doubling from `initialMs` (default 500) up to `maxMs` (default 30,000), jittered. */
  backoff?: { initialMs?: number | undefined; maxMs?: number | undefined } | undefined;
  clock?: Clock | undefined;
  /** Jitter source, [0, 1). Default Math.random. */
  random?: (() => number) | undefined;
}

interface Checked {
  readonly fixed: ServiceRef | undefined;
  readonly namespace: string;
  readonly port: PortSelector | undefined;
  readonly api: SliceApi;
  readonly identity: string;
  readonly pageSize: number;
  readonly moveGraceMs: number;
  readonly watchTimeoutSeconds: number;
  readonly requestTimeoutMs: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  readonly clock: Clock;
  readonly random: () => number;
}

/**
 * Endpoints of a Kubernetes Service from its EndpointSlices, watched through the API server, so a
 * client balances across pods itself instead of through kube-proxy. One informer per (cluster,
 * namespace, Service) is shared by every client in the process; each client's `close()` releases
 * its share, and the last one stops the watch.
 */
export function k8sDiscovery(options: K8sDiscoveryOptions = {}): Discovery {
  return new K8sDiscovery(checkOptions(options, undefined));
}

/** For tests: the same Discovery over a scripted API instead of client-node. */
export function k8sDiscoveryOver(api: SliceApi, options: K8sDiscoveryOptions = {}): Discovery {
  return new K8sDiscovery(checkOptions(options, api));
}

/** The process-wide informers, by cluster identity, namespace and Service. */
const informers = new Map<string, Informer>();
const apiIds = new WeakMap<SliceApi, number>();
let nextApiId = 0;

class K8sDiscovery implements Discovery {
  readonly #o: Checked;
  readonly #subscriptions = new Set<() => Promise<void>>();
  #closed = false;

  constructor(options: Checked) {
    this.#o = options;
  }

  subscribe(service: string, listener: DiscoveryListener): Disposer {
    if (this.#closed) return () => {};
    const ref = this.#o.fixed ?? parseServiceName(service, this.#o.namespace, this.#o.port);
    const key = `${this.#o.identity}\n${ref.namespace}\n${ref.name}`;
    let informer = informers.get(key);
    if (!informer) {
      const created = new Informer(ref, this.#o, () => {
        if (informers.get(key) === created) informers.delete(key);
      });
      informers.set(key, created);
      informer = created;
    }
    const release = informer.subscribe(ref.port, listener);
    this.#subscriptions.add(release);
    return () => {
      this.#subscriptions.delete(release);
      void release();
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    const releases = [...this.#subscriptions];
    this.#subscriptions.clear();
    await Promise.all(releases.map((release) => release()));
  }
}

function bad(setting: string, value: unknown, expected: string, hint?: string): never {
  throw new ConfigInvalidError({
    setting: `k8sDiscovery ${setting}`,
    value,
    expected,
    ...(hint ? { hint } : {}),
  });
}

function int(value: unknown, setting: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    bad(setting, value, `an integer from ${min} to ${max}`);
  }
  return value;
}

function checkOptions(options: K8sDiscoveryOptions, api: SliceApi | undefined): Checked {
  if (typeof options !== 'object' || options === null) bad('options', options, 'an options object');
  const pageSize = int(options.pageSize, 'pageSize', 1, 10_000, 500);
  const moveGraceMs = int(options.moveGraceMs, 'moveGraceMs', 0, 60_000, 1_000);
  const watchTimeoutSeconds = int(
    options.watchTimeoutSeconds,
    'watchTimeoutSeconds',
    1,
    3_600,
    300,
  );
  const requestTimeoutMs = int(options.requestTimeoutMs, 'requestTimeoutMs', 1, 600_000, 30_000);
  const backoff = options.backoff ?? {};
  if (typeof backoff !== 'object' || backoff === null) {
    bad('backoff', backoff, '{ initialMs?, maxMs? }');
  }
  const backoffInitialMs = int(backoff.initialMs, 'backoff.initialMs', 1, 600_000, 500);
  const backoffMaxMs = int(
    backoff.maxMs,
    'backoff.maxMs',
    backoffInitialMs,
    3_600_000,
    Math.max(30_000, backoffInitialMs),
  );
  if (options.random !== undefined && typeof options.random !== 'function') {
    bad('random', typeof options.random, 'a function returning a number in [0, 1)');
  }
  const port = options.port === undefined ? undefined : checkPort(options.port, 'port');
  if (options.namespaceFile !== undefined && typeof options.namespaceFile !== 'string') {
    bad('namespaceFile', options.namespaceFile, 'a file path');
  }
  if (options.clock !== undefined && typeof options.clock?.setTimeout !== 'function') {
    bad('clock', typeof options.clock, 'a Clock (now, setTimeout, clearTimeout)');
  }
  const kc = api ? options.kubeConfig : loadKubeConfig(options);
  const namespace =
    options.namespace !== undefined
      ? checkNamespace(options.namespace)
      : (namespaceFromFile(options.namespaceFile ?? SERVICE_ACCOUNT_NAMESPACE_FILE) ??
        contextNamespace(kc) ??
        'default');
  let fixed: ServiceRef | undefined;
  if (typeof options.service === 'string') {
    fixed = parseServiceName(options.service, namespace, port);
  } else if (options.service !== undefined) {
    fixed = serviceRefOf({ port, ...options.service }, namespace);
  }
  let identity: string;
  let sliceApi: SliceApi;
  if (api) {
    let id = apiIds.get(api);
    if (id === undefined) {
      id = nextApiId++;
      apiIds.set(api, id);
    }
    identity = `api#${id}`;
    sliceApi = api;
  } else {
    sliceApi = clientNodeApi(kc!);
    // Same server, same trust in it (CA, verification, server name, proxy) and same
    // credentials: the same view of the cluster (RBAC included), so one watch can serve both. A
    // client that verifies the server must never be served by a watch that does not.
    const user = createHash('sha256')
      .update(JSON.stringify([kc!.getCurrentUser() ?? null, kc!.getCurrentCluster() ?? null]))
      .digest('hex');
    identity = `${sliceApi.server}\n${user}`;
  }
  return {
    fixed,
    namespace,
    port,
    api: sliceApi,
    identity,
    pageSize,
    moveGraceMs,
    watchTimeoutSeconds,
    requestTimeoutMs,
    backoffInitialMs,
    backoffMaxMs,
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
  };
}

function loadKubeConfig(options: K8sDiscoveryOptions): KubeConfig {
  if (options.kubeConfig !== undefined) {
    if (!(options.kubeConfig instanceof KubeConfig)) {
      bad('kubeConfig', typeof options.kubeConfig, 'a KubeConfig from @kubernetes/client-node');
    }
    if (!options.kubeConfig.getCurrentCluster()) {
      bad('kubeConfig', 'no current cluster', 'a KubeConfig with a current context and cluster');
    }
    return options.kubeConfig;
  }
  const kc = new KubeConfig();
  if (options.kubeconfigPath !== undefined) {
    if (typeof options.kubeconfigPath !== 'string') {
      bad('kubeconfigPath', options.kubeconfigPath, 'a path to a kubeconfig file');
    }
    try {
      kc.loadFromFile(options.kubeconfigPath);
    } catch (error) {
      bad(
        'kubeconfigPath',
        options.kubeconfigPath,
        'a readable kubeconfig file',
        error instanceof Error ? error.message : String(error),
      );
    }
  } else {
    try {
      kc.loadFromDefault();
    } catch (error) {
      // A KUBECONFIG naming a missing or broken file: say which, as for kubeconfigPath.
      bad(
        'kubeConfig',
        process.env.KUBECONFIG ?? 'the default kubeconfig',
        'a readable kubeconfig file (KUBECONFIG or ~/.kube/config), or a pod service account',
        error instanceof Error ? error.message : String(error),
      );
    }
  }
  const cluster = kc.getCurrentCluster();
  // loadFromDefault falls back to an unauthenticated http://localhost:8080 when it finds nothing.
  if (!cluster || (kc.getCurrentContext() === 'loaded-context' && cluster.name === 'cluster')) {
    bad(
      'kubeConfig',
      'none found',
      'a Kubernetes configuration',
      'Not in a cluster (no service-account token, KUBERNETES_SERVICE_HOST unset) and no kubeconfig ' +
        '(KUBECONFIG unset, no ~/.kube/config): run in a pod, set KUBECONFIG, or pass kubeconfigPath',
    );
  }
  return kc;
}

function contextNamespace(kc: KubeConfig | undefined): string | undefined {
  if (!kc) return undefined;
  const ns = kc.getContextObject(kc.getCurrentContext())?.namespace;
  return typeof ns === 'string' && ns.length > 0 ? ns : undefined;
}
