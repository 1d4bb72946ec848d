import type { Clock, TimerHandle } from '@outrigger/core';
import type { EndpointSliceLike } from './endpoint-slice.js';
import { ApiStatusError, isExpired, type SliceApi, type WatchEvent } from './slice-api.js';

/** What the loop tells its owner. */
export interface SliceWatchHandler {
  /** A (re-)list: the whole set, replacing whatever was known. */
  replaced(slices: readonly EndpointSliceLike[]): void;
  upserted(slice: EndpointSliceLike): void;
  deleted(slice: EndpointSliceLike): void;
  /** A request failed; the loop retries after `retryInMs`. */
  failed(error: unknown, phase: 'list' | 'watch', retryInMs: number): void;
}

export interface SliceWatchSettings {
  readonly api: SliceApi;
  readonly namespace: string;
  readonly labelSelector: string;
  readonly pageSize: number;
  /** Shortest server-side watch timeout; each watch asks for this times 1 to 2 (client-go's spread). */
  readonly watchTimeoutSeconds: number;
  readonly requestTimeoutMs: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  readonly clock: Clock;
  readonly random: () => number;
}

/** A watch that ended at once without an event looks like a server bouncing us: not a success. */
const QUICK_END_MS = 1_000;
/** How long past its own timeout a watch may stay open before it is presumed dead (half-open TCP). */
const WATCH_GRACE_MS = 30_000;

/**
 * One list-then-watch loop, client-go's Reflector in small: list in pages of `pageSize`
 * (`limit`/`continue`, restarted from scratch if a continue token expires), then watch from the
 * list's resourceVersion with bookmarks, resuming from the last resourceVersion seen (an event's
 * or a bookmark's) when a watch ends, and listing again only on 410 Gone. Failures wait a
 * jittered exponential back-off (capped); the owner keeps its last set meanwhile. Timers are
 * unref'd; `stop()` aborts the request in flight.
 */
export class SliceWatch {
  readonly #s: SliceWatchSettings;
  readonly #handler: SliceWatchHandler;
  #resourceVersion: string | undefined;
  #controller: AbortController | undefined;
  #timer: TimerHandle | undefined;
  #wake: (() => void) | undefined;
  #failures = 0;
  #stopped = false;
  #running: Promise<void> | undefined;

  constructor(settings: SliceWatchSettings, handler: SliceWatchHandler) {
    this.#s = settings;
    this.#handler = handler;
  }

  /** The resourceVersion a resumed watch starts from; undefined until listed or after a 410. */
  get resourceVersion(): string | undefined {
    return this.#resourceVersion;
  }

  start(): void {
    this.#running ??= this.#run();
  }

  /** Stops the loop and aborts the request in flight; resolves once the loop has ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#controller?.abort();
    this.#clearTimer();
    this.#wake?.();
    await this.#running;
  }

  async #run(): Promise<void> {
    let quickEnds = 0;
    while (!this.#stopped) {
      let phase: 'list' | 'watch' = 'list';
      try {
        if (this.#resourceVersion === undefined) {
          await this.#list();
          this.#failures = 0;
        }
        phase = 'watch';
        const started = this.#s.clock.now();
        const { seen, expired } = await this.#watch();
        if (this.#stopped) return;
        // A watch that brought changes or lasted is a success whatever ended it; one that ended
        // at once with nothing (or expired at once, again) looks like a server bouncing us.
        const quick = seen === 0 && this.#s.clock.now() - started < QUICK_END_MS;
        if (!quick) {
          quickEnds = 0;
          this.#failures = 0;
        }
        if (expired) {
          // The history the watch needed is gone: list again (at once the first time).
          this.#resourceVersion = undefined;
          quickEnds++;
        } else if (quick) {
          quickEnds++;
        }
        if (quickEnds > 1) await this.#sleep(this.#delay(quickEnds - 1));
      } catch (error) {
        if (this.#stopped) return;
        if (isExpired(error)) {
          // A watch answered 410 outright, or a continue token expired mid-list.
          this.#resourceVersion = undefined;
          quickEnds++;
          if (quickEnds > 1) await this.#sleep(this.#delay(quickEnds - 1));
          continue;
        }
        this.#failures++;
        const retryInMs = this.#delay(this.#failures);
        this.#handler.failed(error, phase, retryInMs);
        await this.#sleep(retryInMs);
      }
    }
  }

  async #list(): Promise<void> {
    const items: EndpointSliceLike[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.#request((signal) =>
        this.#s.api.list({
          namespace: this.#s.namespace,
          labelSelector: this.#s.labelSelector,
          limit: this.#s.pageSize,
          continueToken,
          signal,
        }),
      );
      items.push(...page.items);
      // Every page of a consistent chunked list carries the first page's resourceVersion.
      resourceVersion = page.resourceVersion;
      continueToken = page.continueToken;
    } while (continueToken !== undefined && !this.#stopped);
    if (this.#stopped) return;
    if (!resourceVersion) throw new Error('the list carried no metadata.resourceVersion');
    this.#handler.replaced(items);
    this.#resourceVersion = resourceVersion;
  }

  /** The change events seen, and whether an ERROR event with 410 ended the watch. */
  async #watch(): Promise<{ seen: number; expired: boolean }> {
    const timeoutSeconds = Math.round(this.#s.watchTimeoutSeconds * (1 + this.#s.random()));
    let seen = 0;
    let outcome: 'expired' | Error | undefined;
    const controller = new AbortController();
    this.#controller = controller;
    const deadline = this.#s.clock.setTimeout(
      () => {
        outcome = new Error(
          `the watch outlived its timeoutSeconds=${timeoutSeconds} by ${WATCH_GRACE_MS / 1_000} s without ending; presumed dead`,
        );
        controller.abort();
      },
      timeoutSeconds * 1_000 + WATCH_GRACE_MS,
    );
    (deadline as { unref?(): unknown }).unref?.();
    // A server that takes the connection and never answers (overloaded, half-dead) must not
    // hold the watch until its deadline: the head is due within the request timeout.
    let head: TimerHandle | undefined = this.#s.clock.setTimeout(() => {
      outcome = new Error(`no answer to the watch within ${this.#s.requestTimeoutMs} ms`);
      controller.abort();
    }, this.#s.requestTimeoutMs);
    (head as { unref?(): unknown }).unref?.();
    const opened = (): void => {
      if (head !== undefined) this.#s.clock.clearTimeout(head);
      head = undefined;
    };
    const onEvent = (event: WatchEvent): void => {
      if (outcome !== undefined || this.#stopped) return;
      const object = event.object as EndpointSliceLike | undefined;
      const version = object?.metadata?.resourceVersion;
      switch (event.type) {
        case 'ADDED':
        case 'MODIFIED':
          this.#handler.upserted(object ?? {});
          seen++;
          break;
        case 'DELETED':
          this.#handler.deleted(object ?? {});
          seen++;
          break;
        case 'BOOKMARK':
          break;
        case 'ERROR': {
          const status = ApiStatusError.fromStatus(event.object);
          outcome = status.status === 410 ? 'expired' : status;
          controller.abort();
          return;
        }
        default:
          return;
      }
      if (typeof version === 'string' && version.length > 0) this.#resourceVersion = version;
    };
    try {
      await this.#s.api.watch(
        {
          namespace: this.#s.namespace,
          labelSelector: this.#s.labelSelector,
          resourceVersion: this.#resourceVersion!,
          timeoutSeconds,
          signal: controller.signal,
        },
        onEvent,
        opened,
      );
    } catch (error) {
      if (outcome === undefined) throw error;
    } finally {
      opened();
      this.#s.clock.clearTimeout(deadline);
      if (this.#controller === controller) this.#controller = undefined;
    }
    if (outcome instanceof Error) throw outcome;
    return { seen, expired: outcome === 'expired' };
  }

  /** One request with an abort on `stop()` and on `requestTimeoutMs`. */
  async #request<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    this.#controller = controller;
    let timedOut = false;
    const timer = this.#s.clock.setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.#s.requestTimeoutMs);
    (timer as { unref?(): unknown }).unref?.();
    try {
      return await call(controller.signal);
    } catch (error) {
      if (timedOut) {
        throw new Error(`no answer within ${this.#s.requestTimeoutMs} ms`, { cause: error });
      }
      throw error;
    } finally {
      this.#s.clock.clearTimeout(timer);
      if (this.#controller === controller) this.#controller = undefined;
    }
  }

  /** Exponential from `backoffInitialMs`, capped, with full-range jitter over its upper half. */
  #delay(attempt: number): number {
    const ceiling = Math.min(
      this.#s.backoffMaxMs,
      this.#s.backoffInitialMs * 2 ** Math.min(attempt - 1, 30),
    );
    return Math.round(ceiling * (0.5 + 0.5 * this.#s.random()));
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#timer = this.#s.clock.setTimeout(() => {
        this.#timer = undefined;
        this.#wake = undefined;
        resolve();
      }, ms);
      (this.#timer as { unref?(): unknown }).unref?.();
    });
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#s.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
