import type { Clock, Endpoint, EndpointBroadcast, TimerHandle } from '@outrigger/core';

/**
 * Publishes answers to a broadcast, except that an empty answer replaces a non-empty set only
 * once it has stood for `graceMs`: one flapping poll (every check briefly critical, an agent
 * answering mid-restart) must not empty the pool, while a service that is really down is
 * reported as such soon after. A non-empty answer within the grace cancels it.
 */
export class EmptyGrace {
  readonly #broadcast: EndpointBroadcast;
  readonly #clock: Clock;
  readonly #graceMs: number;
  #timer: TimerHandle | undefined;

  constructor(broadcast: EndpointBroadcast, clock: Clock, graceMs: number) {
    this.#broadcast = broadcast;
    this.#clock = clock;
    this.#graceMs = graceMs;
  }

  offer(endpoints: readonly Endpoint[]): void {
    const last = this.#broadcast.endpoints;
    if (endpoints.length === 0 && last && last.length > 0 && this.#graceMs > 0) {
      if (this.#timer === undefined) {
        const timer = this.#clock.setTimeout(() => {
          this.#timer = undefined;
          this.#broadcast.publish([]);
        }, this.#graceMs);
        (timer as { unref?(): unknown }).unref?.();
        this.#timer = timer;
      }
      return;
    }
    this.stop();
    this.#broadcast.publish(endpoints);
  }

  /** Forgets a pending empty answer. */
  stop(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
