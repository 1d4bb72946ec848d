export type { TimeoutPolicyOptions } from './options.js';
export { timeout } from './policy.js';
