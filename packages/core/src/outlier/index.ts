import './events.js';

export { OutlierDetector } from './detector.js';
export type { EjectionReason } from './events.js';
export {
  type OutlierOptions,
  type ResolvedOutlierOptions,
  resolveOutlierOptions,
} from './options.js';
export type { OutlierState } from './state.js';
