/** A typed slot for extra per-call values (a hash key, route headers, a span). */
export interface ContextKey<T> {
  readonly name: string;
  /** Phantom: carries `T` for the type checker only. */
  readonly __type?: T;
}

export function contextKey<T>(name: string): ContextKey<T> {
  return Object.freeze({ name });
}
