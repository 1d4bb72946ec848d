import './events.js';

export { LatencyHistogram } from './latency-histogram.js';
export type { HedgePolicyOptions } from './options.js';
export { hedge } from './policy.js';
