import type { EndpointSliceLike } from '../endpoint-slice.js';
import type { SliceApi, SlicePage, SliceQuery, WatchEvent } from '../slice-api.js';

export interface ListCall {
  readonly query: SliceQuery & { limit: number; continueToken?: string | undefined };
  answer(page: Partial<SlicePage> & { items: readonly EndpointSliceLike[] }): void;
  fail(error: unknown): void;
}

export interface WatchCall {
  readonly query: SliceQuery & { resourceVersion: string; timeoutSeconds: number };
  emit(type: string, object: unknown): void;
  /** The server answers 200: the stream begins (a call that never opens models a hung server). */
  open(): void;
  /** The server ends the watch cleanly (timeoutSeconds, a restart). */
  end(): void;
  fail(error: unknown): void;
  readonly aborted: boolean;
}

/** An API the test answers by hand, call by call. */
export class FakeApi implements SliceApi {
  readonly server = 'https://fake.invalid';
  readonly lists: ListCall[] = [];
  readonly watches: WatchCall[] = [];

  list(query: ListCall['query']): Promise<SlicePage> {
    return new Promise((resolve, reject) => {
      query.signal.addEventListener('abort', () => reject(query.signal.reason), { once: true });
      this.lists.push({
        query,
        answer: (page) =>
          resolve({
            items: page.items,
            resourceVersion: page.resourceVersion ?? '1',
            continueToken: page.continueToken,
          }),
        fail: reject,
      });
    });
  }

  /** Whether a new watch opens by itself, as a healthy server's does. */
  autoOpen = true;

  watch(
    query: WatchCall['query'],
    onEvent: (event: WatchEvent) => void,
    onOpen?: () => void,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      let aborted = false;
      query.signal.addEventListener(
        'abort',
        () => {
          aborted = true;
          reject(query.signal.reason);
        },
        { once: true },
      );
      if (this.autoOpen) onOpen?.();
      this.watches.push({
        query,
        open: () => onOpen?.(),
        emit: (type, object) => {
          if (!aborted) onEvent({ type, object });
        },
        end: resolve,
        fail: reject,
        get aborted() {
          return aborted;
        },
      });
    });
  }

  lastList(): ListCall {
    const call = this.lists.at(-1);
    if (!call) throw new Error('no list call yet');
    return call;
  }

  lastWatch(): WatchCall {
    const call = this.watches.at(-1);
    if (!call) throw new Error('no watch call yet');
    return call;
  }
}

/** A slice of `service` in the test's usual shape. */
export function slice(
  name: string,
  endpoints: {
    ip: string;
    ready?: boolean;
    serving?: boolean;
    terminating?: boolean;
    zone?: string;
    pod?: string;
  }[],
  options: { service?: string; port?: number; portName?: string; rv?: string; ns?: string } = {},
): EndpointSliceLike {
  return {
    metadata: {
      name,
      namespace: options.ns ?? 'shop',
      resourceVersion: options.rv ?? '1',
      labels: { 'kubernetes.io/service-name': options.service ?? 'payments' },
    },
    addressType: endpoints[0]?.ip.includes(':') ? 'IPv6' : 'IPv4',
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: {
        ready: e.ready ?? true,
        serving: e.serving ?? true,
        terminating: e.terminating ?? false,
      },
      ...(e.zone ? { zone: e.zone } : {}),
      ...(e.pod ? { targetRef: { kind: 'Pod', name: e.pod } } : {}),
    })),
    ports: [{ name: options.portName ?? 'http', port: options.port ?? 8080 }],
  };
}
