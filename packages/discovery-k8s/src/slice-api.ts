import type { EndpointSliceLike } from './endpoint-slice.js';

/** One page of a (chunked) list. */
export interface SlicePage {
  readonly items: readonly EndpointSliceLike[];
  /** The list's `metadata.resourceVersion`: where a watch starts without missing a change. */
  readonly resourceVersion: string;
  /** `metadata.continue`: more pages follow when set. */
  readonly continueToken: string | undefined;
}

export interface SliceQuery {
  readonly namespace: string;
  readonly labelSelector: string;
  readonly signal: AbortSignal;
}

/** A watch event as the API sends it: `{ type, object }`, one JSON document per line. */
export interface WatchEvent {
  readonly type: string;
  readonly object: unknown;
}

/**
 * The two calls discovery makes, over whatever carries them: client-node against a real API
 * server (`client-api.ts`), a scripted fake in unit tests.
 */
export interface SliceApi {
  /** For messages: which API server. */
  readonly server: string;
  list(
    query: SliceQuery & { limit: number; continueToken?: string | undefined },
  ): Promise<SlicePage>;
  /**
   * Streams events after `resourceVersion` until the server ends the watch (resolves) or it
   * fails or is aborted (rejects). A non-200 answer rejects with an `ApiStatusError`.
   */
  watch(
    query: SliceQuery & { resourceVersion: string; timeoutSeconds: number },
    onEvent: (event: WatchEvent) => void,
    /** Called when the server has answered 200 and the stream begins. */
    onOpen?: () => void,
  ): Promise<void>;
}

/** The API answered with a failure `Status` (or an ERROR watch event carried one). */
export class ApiStatusError extends Error {
  /** The HTTP status code (`Status.code`): 410 means the resourceVersion or continue token expired. */
  readonly status: number;
  /** `Status.reason`: `Expired`, `Gone`, `Forbidden`, `Unauthorized`... */
  readonly reason: string | undefined;
  constructor(status: number, reason: string | undefined, message: string) {
    super(`HTTP ${status}${reason ? ` ${reason}` : ''}: ${message}`);
    this.name = 'ApiStatusError';
    this.status = status;
    this.reason = reason;
  }

  /** From a `Status` object (a watch ERROR event, an error body), if it is one. */
  static fromStatus(value: unknown, fallbackCode = 500): ApiStatusError {
    const s = (typeof value === 'object' && value !== null ? value : {}) as {
      code?: unknown;
      reason?: unknown;
      message?: unknown;
    };
    const code = typeof s.code === 'number' ? s.code : fallbackCode;
    const reason = typeof s.reason === 'string' ? s.reason : undefined;
    const message = typeof s.message === 'string' ? s.message : 'no message';
    return new ApiStatusError(code, reason, message);
  }
}

/** 410 Gone: a resourceVersion or continue token too old to serve; the cure is a fresh list. */
export function isExpired(error: unknown): boolean {
  return error instanceof ApiStatusError && error.status === 410;
}
