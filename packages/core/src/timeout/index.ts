export { DeadlineScheduler, type Expirable, schedulerFor } from './deadline-scheduler.js';
export type { TimeoutPolicyOptions } from './options.js';
export { timeout } from './policy.js';
