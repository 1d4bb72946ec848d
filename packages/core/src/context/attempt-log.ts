import type { Endpoint } from '../discovery/endpoint.js';
import { contextKey } from './context-key.js';

/**
 * Per logical call and deliberately mutable: the endpoints its attempts went to, so that a retry
 * or a hedge goes to a different endpoint where one exists. The retry and hedge policies put one
 * in the context; the balancer reads it and records its pick.
 */
export class AttemptLog {
  #first: Endpoint | undefined = undefined;
  #all: Endpoint[] | undefined = undefined;
  /**
   * Set by an inner policy that judges the logical call rather than each attempt (the breaker
   * holds back an attempt's failure until it knows whether a later attempt made up for it).
   * The policy that created the log calls it once, when the logical call has settled.
   */
  onSettled: (() => void) | undefined = undefined;

  record(endpoint: Endpoint): void {
    if (this.#all !== undefined) this.#all.push(endpoint);
    else if (this.#first === undefined) this.#first = endpoint;
    else this.#all = [this.#first, endpoint];
  }

  /**
   * The endpoints tried, in order; undefined before the first pick. Most calls make one attempt
   * and never ask, so the array is made only when a second pick needs it.
   */
  get endpoints(): readonly Endpoint[] | undefined {
    if (this.#all === undefined && this.#first !== undefined) this.#all = [this.#first];
    return this.#all;
  }
}

export function newAttemptLog(): AttemptLog {
  return new AttemptLog();
}

/** Runs and clears the log's settle hook: for the policy that created the log. */
export function settleAttemptLog(log: AttemptLog): void {
  const hook = log.onSettled;
  if (hook === undefined) return;
  log.onSettled = undefined;
  hook();
}

export const ATTEMPT_LOG = contextKey<AttemptLog>('outrigger.attemptLog');
