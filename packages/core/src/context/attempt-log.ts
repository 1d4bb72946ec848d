import type { Endpoint } from '../discovery/endpoint.js';
import { contextKey } from './context-key.js';

/**
 * Per logical call and deliberately mutable: the endpoints its attempts went to, so that a retry
 * or a hedge goes to a different endpoint where one exists. The retry and hedge policies put one
 * in the context; the balancer reads it and appends its pick.
 */
export interface AttemptLog {
  readonly endpoints: Endpoint[];
}

export const ATTEMPT_LOG = contextKey<AttemptLog>('outrigger.attemptLog');
