import './events.js';

export { type Backoff, backoffDelay } from './backoff.js';
export type { RetryPolicyOptions } from './options.js';
export { retry } from './policy.js';
