/**
 * The one event mechanism: policies emit, telemetry (and users) listen.
 *
 * Each concern adds its events to `OutriggerEvents` by declaration merging, so names and
 * payloads are typed wherever they are used. Emitting with nobody listening costs one
 * property read; producers check `has()` before building a payload. A listener that throws
 * never fails a call: the error becomes a process warning.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in each concern
export interface OutriggerEvents {}

export type EventName = keyof OutriggerEvents;
export type Listener<K extends EventName> = (event: OutriggerEvents[K]) => void;
export type Disposer = () => void;

export class EventBus {
  readonly #listeners: { [K in EventName]?: Listener<K>[] } = {};

  on<K extends EventName>(name: K, listener: Listener<K>): Disposer {
    // Copy on write, both ways: an emit in progress keeps iterating the array it started with.
    const current = (this.#listeners[name] ?? []) as Listener<K>[];
    (this.#listeners as Record<string, unknown>)[name] = [...current, listener];
    return () => {
      const current = this.#listeners[name] as Listener<K>[] | undefined;
      if (!current) return;
      const next = current.filter((l) => l !== listener);
      if (next.length === 0) delete this.#listeners[name];
      else (this.#listeners as Record<string, unknown>)[name] = next;
    };
  }

  has(name: EventName): boolean {
    return this.#listeners[name] !== undefined;
  }

  emit<K extends EventName>(name: K, event: OutriggerEvents[K]): void {
    const list = this.#listeners[name] as Listener<K>[] | undefined;
    if (!list) return;
    for (const listener of list) {
      try {
        listener(event);
      } catch (error) {
        process.emitWarning(
          `an Outrigger "${name}" listener threw; the call went on: ${String(error)}`,
          { code: 'OUTRIGGER_LISTENER_FAILED' },
        );
      }
    }
  }
}
