import type { CallContext } from '../context/call-context.js';
/** A call was refused: no slot and a full queue, or no slot before its queue wait ran out. */
export interface BulkheadRejectedEvent {
  readonly service: string;
  /** The call this happened to: telemetry marks its span. */
  readonly ctx: CallContext;
  readonly reason: 'full' | 'timeout';
  /** Calls in flight and queued at that moment. */
  readonly active: number;
  readonly queued: number;
}

/** A call found every slot taken and waits in the queue. */
export interface BulkheadQueuedEvent {
  readonly service: string;
  /** The call this happened to: telemetry marks its span. */
  readonly ctx: CallContext;
  /** Calls queued, this one included. */
  readonly queued: number;
}

/** A queued call got its slot after `waitedMs` in the queue. */
export interface BulkheadDequeuedEvent {
  readonly service: string;
  /** The call this happened to: telemetry marks its span. */
  readonly ctx: CallContext;
  readonly waitedMs: number;
}

declare module '../events/events.js' {
  interface OutriggerEvents {
    'bulkhead.rejected': BulkheadRejectedEvent;
    'bulkhead.queued': BulkheadQueuedEvent;
    'bulkhead.dequeued': BulkheadDequeuedEvent;
  }
}
