/** Where an attempt takes the request messages: its grpc-js call (serializer: identity). */
export interface MessageSink {
  write(bytes: Buffer, done?: (error?: Error | null) => void): unknown;
  end(): unknown;
}

type Done = (error?: Error | null) => void;

/**
 * The request side of a client-streaming or bidi call. Every message the caller writes goes to
 * the attempts live now and is kept, serialized, while the total stays within `maxBytes`, so that
 * a retry, requeue or hedge can replay it from the start (gRFC A6's replay buffer). The first
 * message beyond that commits the call (`owner.committed`): no new attempt can start, so the classifier
 * stops retrying it. Messages written before any attempt is live are held until one attaches.
 */
export class RequestStream {
  readonly #maxBytes: number;
  /** The call this stream belongs to: committed with it (set by `GrpcRequest`). */
  owner: { committed: boolean } | undefined;
  /** Messages every new attempt is sent first: the replay log, then what no attempt has yet. */
  #held: Buffer[] = [];
  #heldBytes = 0;
  /** Writes to acknowledge once an attempt takes the held messages (replay lost, none live). */
  #waiting: Done[] = [];
  #sinks: MessageSink[] = [];
  #replayable = true;
  #ended = false;
  /** Some attempt has taken the messages (after a commit, no other may). */
  #attached = false;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  get replayable(): boolean {
    return this.#replayable;
  }

  /** From the caller's writable side. `done` acknowledges the write (backpressure). */
  write(bytes: Buffer, done: Done): void {
    const sinks = this.#sinks;
    if (this.#replayable) {
      if (this.#heldBytes + bytes.length <= this.#maxBytes) {
        this.#held.push(bytes);
        this.#heldBytes += bytes.length;
      } else {
        this.#commit();
      }
    }
    if (!this.#replayable && sinks.length === 0) {
      // Nobody to send it to and no replay: hold it (and the caller) until an attempt attaches.
      this.#held.push(bytes);
      this.#waiting.push(done);
      return;
    }
    if (sinks.length === 0) {
      done();
      return;
    }
    // The first live attempt paces the caller; a hedge is sent the same bytes without waiting.
    sinks[0]!.write(bytes, done);
    for (let i = 1; i < sinks.length; i++) sinks[i]!.write(bytes);
  }

  /** The caller half-closed. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const sink of this.#sinks) sink.end();
  }

  /**
   * An attempt starts: it is sent every held message, and the caller's end if it came. False
   * when replay was lost and an earlier attempt already took the messages (nothing to send).
   */
  attach(sink: MessageSink): boolean {
    if (!this.#replayable && this.#attached) return false;
    this.#attached = true;
    for (const bytes of this.#held) sink.write(bytes);
    if (!this.#replayable) {
      // Past the replay bound the held messages were only waiting for this attempt.
      this.#held = [];
      this.#heldBytes = 0;
      const waiting = this.#waiting;
      this.#waiting = [];
      for (const done of waiting) done();
    }
    if (this.#ended) sink.end();
    this.#sinks.push(sink);
    return true;
  }

  detach(sink: MessageSink): void {
    const i = this.#sinks.indexOf(sink);
    if (i >= 0) this.#sinks.splice(i, 1);
  }

  /** The call is committed to the attempt that won: the replay log is no longer needed. */
  commitTo(sink: MessageSink): void {
    this.#commit();
    this.#held = [];
    this.#heldBytes = 0;
    this.#sinks = this.#sinks.filter((s) => s === sink);
  }

  /**
   * The call ended: writes still waiting are acknowledged and dropped, as grpc-js does once a
   * call has its status (the failure reaches the caller through the callback and `status`, not
   * as an `error` event nobody may be listening for).
   */
  fail(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const done of waiting) done();
    this.#held = [];
    this.#sinks = [];
  }

  #commit(): void {
    if (!this.#replayable) return;
    this.#replayable = false;
    // With attempts live the log has been sent and is no longer needed; with none, it stays as
    // the first messages for the attempt that has not started yet.
    if (this.#sinks.length > 0) {
      this.#held = [];
      this.#heldBytes = 0;
    }
    if (this.owner) this.owner.committed = true;
  }
}
