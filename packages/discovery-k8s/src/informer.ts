import { type DiscoveryListener, EndpointBroadcast, type TimerHandle } from '@outrigger/core';
import { type EndpointSliceLike, SERVICE_NAME_LABEL, sliceName } from './endpoint-slice.js';
import type { PortSelector, ServiceRef } from './service-name.js';
import { ApiStatusError } from './slice-api.js';
import { SliceSet } from './slice-set.js';
import { SliceWatch, type SliceWatchSettings } from './slice-watch.js';

interface View {
  readonly set: SliceSet;
  readonly broadcast: EndpointBroadcast;
  /** Re-publishes when an endpoint held after vanishing is let go. */
  timer: TimerHandle | undefined;
}

export type InformerSettings = Omit<SliceWatchSettings, 'namespace' | 'labelSelector'> & {
  readonly moveGraceMs: number;
};

/**
 * The EndpointSlices of one Service in one cluster, listed and watched once for the whole process
 * however many clients use them; one endpoint set (and broadcast) per port asked for. Started by
 * the first subscriber, stopped by the last.
 */
export class Informer {
  readonly #service: Pick<ServiceRef, 'name' | 'namespace'>;
  readonly #server: string;
  readonly #watch: SliceWatch;
  readonly #slices = new Map<string, EndpointSliceLike>();
  readonly #views = new Map<string, View>();
  readonly #onIdle: () => void;
  readonly #settings: InformerSettings;
  #synced = false;
  #lastError: Error | undefined;

  constructor(
    service: Pick<ServiceRef, 'name' | 'namespace'>,
    settings: InformerSettings,
    onIdle: () => void,
  ) {
    this.#service = service;
    this.#settings = settings;
    this.#server = settings.api.server;
    this.#onIdle = onIdle;
    this.#watch = new SliceWatch(
      {
        ...settings,
        namespace: service.namespace,
        labelSelector: `${SERVICE_NAME_LABEL}=${service.name}`,
      },
      {
        replaced: (slices) => this.#replaced(slices),
        upserted: (slice) => this.#changed(slice, false),
        deleted: (slice) => this.#changed(slice, true),
        failed: (error, phase, retryInMs) => this.#failed(error, phase, retryInMs),
      },
    );
  }

  /** Subscribes to the set for `port`; the returned function unsubscribes and may stop the informer. */
  subscribe(port: PortSelector | undefined, listener: DiscoveryListener): () => Promise<void> {
    const key = port === undefined ? '' : `${typeof port}:${port}`;
    let view = this.#views.get(key);
    if (!view) {
      view = {
        set: new SliceSet(this.#service.name, port, this.#settings.moveGraceMs),
        broadcast: new EndpointBroadcast(),
        timer: undefined,
      };
      this.#views.set(key, view);
      if (this.#synced) {
        const errors = view.set.replace([...this.#slices.values()], this.#now());
        this.#publish(view);
        for (const error of errors) view.broadcast.fail(this.#sliceError(error, view));
      } else if (this.#lastError) view.broadcast.fail(this.#lastError);
    }
    const unsubscribe = view.broadcast.subscribe(listener);
    this.#watch.start();
    const current = view;
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      unsubscribe();
      if (current.broadcast.size > 0) return;
      if (this.#views.get(key) === current) this.#views.delete(key);
      this.#clearTimer(current);
      if (this.#views.size > 0) return;
      this.#onIdle();
      await this.#watch.stop();
    };
  }

  #replaced(slices: readonly EndpointSliceLike[]): void {
    this.#slices.clear();
    for (const slice of slices) this.#slices.set(sliceName(slice), slice);
    this.#synced = true;
    this.#lastError = undefined;
    for (const view of this.#views.values()) {
      const errors = view.set.replace(slices, this.#now());
      this.#publish(view);
      for (const error of errors) view.broadcast.fail(this.#sliceError(error, view));
    }
  }

  #changed(slice: EndpointSliceLike, deleted: boolean): void {
    const name = sliceName(slice);
    if (deleted) this.#slices.delete(name);
    else if (name !== '<unnamed>') this.#slices.set(name, slice);
    for (const view of this.#views.values()) {
      let error: Error | undefined;
      if (deleted) view.set.delete(slice, this.#now());
      else error = view.set.upsert(slice, this.#now());
      this.#publish(view);
      if (error) view.broadcast.fail(this.#sliceError(error, view));
    }
  }

  #publish(view: View): void {
    view.broadcast.publish(view.set.endpoints(this.#now()));
    this.#clearTimer(view);
    const next = view.set.nextExpiry;
    if (next === undefined) return;
    const { clock } = this.#settings;
    view.timer = clock.setTimeout(
      () => {
        view.timer = undefined;
        this.#publish(view);
      },
      Math.max(0, next - clock.now()),
    );
    (view.timer as { unref?(): unknown }).unref?.();
  }

  #clearTimer(view: View): void {
    if (view.timer !== undefined) this.#settings.clock.clearTimeout(view.timer);
    view.timer = undefined;
  }

  #now(): number {
    return this.#settings.clock.now();
  }

  #failed(error: unknown, phase: 'list' | 'watch', retryInMs: number): void {
    const why = error instanceof Error ? error.message : String(error);
    const hint =
      error instanceof ApiStatusError && error.status === 403
        ? `; the service account needs get, list and watch on endpointslices.discovery.k8s.io in namespace "${this.#service.namespace}" (see the package README for a Role)`
        : error instanceof ApiStatusError && error.status === 401
          ? '; the API server refused the credentials (an expired token is re-read from its file within 60 s)'
          : '';
    const wrapped = new Error(
      `${this.#what()} failed to ${phase}: ${why}${hint}; ${this.#synced ? 'keeping the last good set, ' : ''}retrying in ${retryInMs} ms`,
      { cause: error },
    );
    if (!this.#synced) this.#lastError = wrapped;
    for (const view of this.#views.values()) view.broadcast.fail(wrapped);
  }

  #sliceError(error: Error, view: View): Error {
    const kept = view.broadcast.endpoints?.length ?? 0;
    return new Error(
      `${this.#what()}: ${error.message}; the slice is ignored and its last good endpoints kept (${kept} in the set)`,
      { cause: error },
    );
  }

  #what(): string {
    const { name, namespace } = this.#service;
    return `Kubernetes discovery of ${namespace}/${name} (EndpointSlices at ${this.#server})`;
  }
}
