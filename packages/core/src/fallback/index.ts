export type { FallbackUsedEvent } from './events.js';
export {
  checkFallbackOptions,
  type FallbackOptions,
  type FallbackValue,
  type FallbackWhen,
} from './options.js';
export { fallback } from './policy.js';
