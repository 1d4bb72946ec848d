/** A call was refused: no slot and a full queue, or no slot before its queue wait ran out. */
export interface BulkheadRejectedEvent {
  readonly service: string;
  readonly reason: 'full' | 'timeout';
  /** Calls in flight and queued at that moment. */
  readonly active: number;
  readonly queued: number;
}

/** A call found every slot taken and waits in the queue. */
export interface BulkheadQueuedEvent {
  readonly service: string;
  /** Calls queued, this one included. */
  readonly queued: number;
}

declare module '../events/events.js' {
  interface OutriggerEvents {
    'bulkhead.rejected': BulkheadRejectedEvent;
    'bulkhead.queued': BulkheadQueuedEvent;
  }
}
