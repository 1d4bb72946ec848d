export { type BreakerPermit, type BreakerState, CircuitBreaker } from './circuit-breaker.js';
export type { BreakerRejectedEvent, BreakerStateChangedEvent } from './events.js';
export type { CircuitInspection } from './inspection.js';
export {
  type BreakerPolicyOptions,
  type ResolvedBreakerOptions,
  resolveBreakerOptions,
} from './options.js';
export { type BreakerPolicy, breaker } from './policy.js';
