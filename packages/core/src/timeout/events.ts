import type { TimeoutKind } from '../errors/errors.js';

declare module '../events/events.js' {
  interface OutriggerEvents {
    /** A deadline passed; the call's cancellation was aborted and it rejected with TIMEOUT. */
    'timeout.expired': {
      readonly service: string;
      readonly operation: string;
      readonly kind: TimeoutKind;
      readonly timeoutMs: number;
      readonly attempt: number;
    };
  }
}
