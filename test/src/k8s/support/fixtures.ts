/**
 * Shapes the Kubernetes documentation gives, which the API double must produce and which the
 * double's own test checks it against. Sources: "API Concepts" (kubernetes.io/docs/reference/
 * using-api/api-concepts: efficient detection of changes, watch bookmarks, 410 Gone responses,
 * retrieving large results sets in chunks), the common parameters reference (`continue`,
 * `allowWatchBookmarks`), and the EndpointSlice v1 reference (discovery.k8s.io/v1).
 */
import { expect } from 'vitest';

/** A `metav1.Status` failure, as every error body and ERROR watch event carries it. */
export function statusShape(code: number, reason: string) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: expect.any(Object),
    status: 'Failure',
    message: expect.any(String),
    reason,
    code,
  };
}

/**
 * "GET /api/v1/namespaces/test/pods?watch=1&resourceVersion=10245&allowWatchBookmarks=true":
 * a BOOKMARK's object "is of the type requested by the request, but only the resourceVersion
 * field is set".
 */
export const BOOKMARK_EVENT = {
  type: 'BOOKMARK',
  object: {
    kind: 'EndpointSlice',
    apiVersion: 'discovery.k8s.io/v1',
    metadata: { resourceVersion: expect.any(String) },
  },
};

/**
 * A watch from a resourceVersion the server no longer keeps: clients "must handle the case by
 * recognizing the status code 410 Gone, clearing their local cache, performing a new get or list
 * operation, and starting the watch from the resourceVersion that was returned". The watch cache
 * answers 200 and sends this event; the `reason` is `Expired` ("too old resource version").
 */
export const EXPIRED_WATCH_EVENT = { type: 'ERROR', object: statusShape(410, 'Expired') };

/**
 * A `continue` token past its life: "the server will respond with a 410 ResourceExpired error
 * together with a continue token. If the client needs a consistent list, it must restart their
 * list without the continue field."
 */
export const EXPIRED_CONTINUE_STATUS = {
  ...statusShape(410, 'Expired'),
  metadata: { continue: expect.any(String) },
};

/** A list: `metadata.resourceVersion` always, `continue` (and `remainingItemCount`) with more. */
export const LIST_SHAPE = {
  kind: 'EndpointSliceList',
  apiVersion: 'discovery.k8s.io/v1',
  metadata: { resourceVersion: expect.any(String) },
};

/** An EndpointSlice as the controller writes it (the reference's fields, one endpoint). */
export const ENDPOINT_SLICE = {
  kind: 'EndpointSlice',
  apiVersion: 'discovery.k8s.io/v1',
  metadata: {
    name: 'payments-abc12',
    namespace: 'shop',
    generateName: 'payments-',
    labels: {
      'kubernetes.io/service-name': 'payments',
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
    },
  },
  addressType: 'IPv4',
  endpoints: [
    {
      addresses: ['10.1.2.3'],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: 'node-1',
      targetRef: { kind: 'Pod', namespace: 'shop', name: 'payments-7d9f-x2x4z', uid: 'u-1' },
      zone: 'eu-west-1a',
      hints: { forZones: [{ name: 'eu-west-1a' }] },
    },
  ],
  ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
};
