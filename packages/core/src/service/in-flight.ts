/**
 * A client's calls in flight, for a `close()` that refuses new calls and waits for those
 * started (the HTTP and gRPC clients, the gRPC interceptor). Counting is two integer
 * operations a call; the promise is made only when a close finds calls still running.
 */
export class InFlight {
  #count = 0;
  #idle: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  /** True once `close` was called: new calls must be refused. */
  get closing(): boolean {
    return this.#closing !== undefined;
  }

  get count(): number {
    return this.#count;
  }

  enter(): void {
    this.#count++;
  }

  leave(): void {
    if (--this.#count === 0 && this.#idle) this.#idle();
  }

  /**
   * Waits for the calls in flight, then runs `release` (discovery, timers, sockets) once;
   * every later call returns the same promise.
   */
  close(release: () => Promise<void> | void): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#count > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
      await release();
    })();
    return this.#closing;
  }
}
