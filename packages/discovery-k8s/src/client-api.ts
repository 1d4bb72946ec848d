import http from 'node:http';
import https from 'node:https';
import {
  ApiException,
  DiscoveryV1Api,
  type KubeConfig,
  Observable,
  type ObservableMiddleware,
} from '@kubernetes/client-node';
import type { EndpointSliceLike } from './endpoint-slice.js';
import { ApiStatusError, type SliceApi, type WatchEvent } from './slice-api.js';

/**
 * The Kubernetes API through client-node. Lists go through `DiscoveryV1Api` (its request
 * pipeline, authentication and model); the watch is a short NDJSON reader over `node:http(s)`
 * with client-node's own connection options (`KubeConfig.applyToHTTPSOptions`: CA, client
 * certificates, bearer or rotating token, exec and OIDC plugins, proxy agent). Decision 0052 says
 * why not client-node's `Watch`: it cannot be aborted before the response head arrives, so a hung
 * API server would keep a socket, and the process, alive after `close()`.
 */
export function clientNodeApi(kc: KubeConfig): SliceApi {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const server = cluster.server.replace(/\/+$/, '');
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  return {
    server,
    async list({ namespace, labelSelector, limit, continueToken, signal }) {
      // The generated client takes no AbortSignal argument; a middleware hands it one.
      const abortable: ObservableMiddleware = {
        pre: (context) => {
          context.setSignal(signal);
          return new Observable(Promise.resolve(context));
        },
        post: (context) => new Observable(Promise.resolve(context)),
      };
      try {
        const list = await discovery.listNamespacedEndpointSlice(
          {
            namespace,
            labelSelector,
            limit,
            ...(continueToken ? { _continue: continueToken } : {}),
          },
          { middleware: [abortable], middlewareMergeStrategy: 'append' },
        );
        return {
          items: (list.items ?? []) as unknown as EndpointSliceLike[],
          resourceVersion: list.metadata?.resourceVersion ?? '',
          continueToken: list.metadata?._continue || undefined,
        };
      } catch (error) {
        throw asStatusError(error);
      }
    },
    async watch(
      { namespace, labelSelector, resourceVersion, timeoutSeconds, signal },
      onEvent,
      onOpen,
    ) {
      const url = new URL(
        `${server}/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/endpointslices`,
      );
      url.searchParams.set('watch', 'true');
      url.searchParams.set('labelSelector', labelSelector);
      url.searchParams.set('resourceVersion', resourceVersion);
      url.searchParams.set('allowWatchBookmarks', 'true');
      url.searchParams.set('timeoutSeconds', String(timeoutSeconds));
      const options: https.RequestOptions = {};
      await kc.applyToHTTPSOptions(options);
      signal.throwIfAborted();
      await streamEvents(url, options, signal, onEvent, onOpen);
    },
  };
}

function streamEvents(
  url: URL,
  options: https.RequestOptions,
  signal: AbortSignal,
  onEvent: (event: WatchEvent) => void,
  onOpen: (() => void) | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(url, {
      ...options,
      method: 'GET',
      headers: { ...options.headers, Accept: 'application/json' },
      signal,
    });
    request.on('error', reject);
    request.on('response', (response) => {
      response.setEncoding('utf8');
      if (response.statusCode !== 200) {
        let body = '';
        response.on('data', (chunk: string) => {
          if (body.length < 65_536) body += chunk;
        });
        response.on('end', () => reject(statusFromBody(response.statusCode ?? 500, body)));
        response.on('error', reject);
        return;
      }
      onOpen?.();
      let buffered = '';
      response.on('data', (chunk: string) => {
        buffered += chunk;
        for (let nl = buffered.indexOf('\n'); nl !== -1; nl = buffered.indexOf('\n')) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line.length === 0) continue;
          let event: unknown;
          try {
            event = JSON.parse(line);
          } catch {
            request.destroy(
              new Error(`the watch sent a line that is not JSON: ${line.slice(0, 120)}`),
            );
            return;
          }
          if (
            typeof event !== 'object' ||
            event === null ||
            typeof (event as WatchEvent).type !== 'string'
          ) {
            request.destroy(
              new Error(`the watch sent a line that is not an event: ${line.slice(0, 120)}`),
            );
            return;
          }
          // A throw here would escape into the socket's event handler and take the process down.
          try {
            onEvent(event as WatchEvent);
          } catch (error) {
            request.destroy(error instanceof Error ? error : new Error(String(error)));
            return;
          }
        }
      });
      response.on('end', () => resolve());
      response.on('error', reject);
      response.on('close', () => {
        if (!response.complete) reject(new Error('the watch connection closed mid-stream'));
      });
    });
    request.end();
  });
}

function statusFromBody(code: number, body: string): ApiStatusError {
  try {
    return ApiStatusError.fromStatus(JSON.parse(body), code);
  } catch {
    return new ApiStatusError(code, http.STATUS_CODES[code], body.slice(0, 200) || 'no body');
  }
}

function asStatusError(error: unknown): unknown {
  if (!(error instanceof ApiException)) return error;
  const body: unknown = error.body;
  if (typeof body === 'string') return statusFromBody(error.code, body);
  if (typeof body === 'object' && body !== null) return ApiStatusError.fromStatus(body, error.code);
  // The generated client drops the body of some answers (a 401's); its message would carry the
  // response headers, which is no help.
  const text = http.STATUS_CODES[error.code];
  return new ApiStatusError(error.code, text, text ?? 'no Status body');
}
