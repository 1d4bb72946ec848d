export { Bulkhead, type BulkheadWaiter } from './bulkhead.js';
export type { BulkheadQueuedEvent, BulkheadRejectedEvent } from './events.js';
export {
  type BulkheadPolicyOptions,
  type ResolvedBulkheadOptions,
  resolveBulkheadOptions,
} from './options.js';
export { type BulkheadPolicy, bulkhead } from './policy.js';
