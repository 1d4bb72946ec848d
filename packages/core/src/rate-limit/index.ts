export type { RateLimitDelayedEvent, RateLimitRejectedEvent } from './events.js';
export {
  type RateLimitPolicyOptions,
  type ResolvedRateLimitOptions,
  resolveRateLimitOptions,
} from './options.js';
export { type RateLimitPolicy, rateLimit } from './policy.js';
export { TokenBucket } from './token-bucket.js';
