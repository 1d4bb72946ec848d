import { contextKey } from './context-key.js';

/** Per-call overrides a client facade puts in the root context (from `fetch(url, init)` etc.). */
export interface CallOptions {
  /** Total deadline for this call only; can shorten, never extend, the inbound cap. */
  readonly timeoutMs?: number | undefined;
  /** `false` disables retries (and hedging) for this call. */
  readonly retry?: false | undefined;
  /** Key for consistent-hash balancing (affinity). */
  readonly hashKey?: string | undefined;
}

export const CALL_OPTIONS = contextKey<CallOptions>('outrigger.callOptions');
