/**
 * Kubernetes end to end against a real cluster: an Outrigger HTTP client finds the pods of a
 * Service from its EndpointSlices (list + watch through the API server) and balances across them
 * itself, instead of through kube-proxy.
 *
 *   # outside the cluster, with kubectl's configuration:
 *   KUBECONFIG=~/.kube/config npm run example:k8s -- payments.shop:http /healthz
 *   # inside a pod: the service account's token is used; apply the package's
 *   # manifests/rbac.yaml first (get/list/watch on endpointslices in the namespace).
 *
 * With no Service named, it watches `kubernetes.default:https` (the API server's own endpoints,
 * present in every cluster) and prints the sets it sees for a few seconds without calling them.
 */
import { ConfigInvalidError, type Discovery, type Endpoint } from '@outrigger/core';
import { k8sDiscovery } from '@outrigger/discovery-k8s';
import { createHttpClient } from '@outrigger/http';

const [service = 'kubernetes.default:https', path] = process.argv.slice(2);

let discovery: Discovery;
try {
  // `service` names what to watch (port included); the client's own name cannot carry a port.
  discovery = k8sDiscovery({ service });
} catch (error) {
  if (!(error instanceof ConfigInvalidError) || error.setting !== 'k8sDiscovery kubeConfig') {
    throw error;
  }
  console.log(
    [
      'This example needs a Kubernetes cluster, and found no way to reach one:',
      `  ${error.message}`,
      '',
      'Outside a cluster, point it at a kubeconfig:',
      '  KUBECONFIG=~/.kube/config npm run example:k8s -- <service>[.<namespace>][:<port>] [path]',
      'Inside a pod it uses the service account (grant it packages/discovery-k8s/manifests/rbac.yaml).',
    ].join('\n'),
  );
  process.exit(0);
}

const show = (endpoints: readonly Endpoint[]) =>
  endpoints
    .map(
      (e) =>
        `${e.id}${e.zone ? ` zone=${e.zone}` : ''}${e.metadata.pod ? ` pod=${e.metadata.pod}` : ''}`,
    )
    .join(', ') || '(none ready)';

if (path === undefined) {
  // Discovery alone: print every set the watch delivers, then close.
  const stop = discovery.subscribe(service, {
    onEndpoints: (endpoints) => console.log(`${service}: ${show(endpoints)}`),
    onError: (error) => console.log(`${service}: ${(error as Error).message}`),
  });
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  stop();
  await discovery.close();
} else {
  // The client owns the discovery: closing the client stops the watch.
  const client = createHttpClient({
    service: service.split(':')[0]!,
    discovery,
    timeout: { totalMs: 2_000, perTryMs: 500 },
  });
  for (let i = 0; i < 5; i++) {
    const res = await client.fetch(path);
    console.log(`GET ${path} -> ${res.status} ${(await res.text()).slice(0, 80).trim()}`);
  }
  console.log(client.describe());
  await client.close();
}
