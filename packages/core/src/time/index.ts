export type { Clock, TimerHandle } from './clock.js';
export { systemClock } from './clock.js';
export { ManualClock, settle } from './manual-clock.js';
export { sleep } from './sleep.js';
