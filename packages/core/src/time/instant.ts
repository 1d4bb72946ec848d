import type { Clock } from './clock.js';

/** @deprecated being removed: read `clock.now()`. */
export function nowOf(clock: Clock): number {
  return clock.now();
}
