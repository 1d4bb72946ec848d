import type { Metadata, StatusObject } from '@grpc/grpc-js';
import {
  type CallContext,
  type Classifier,
  defaultClassifier,
  FaultInjectedError,
  REQUEST_INFO,
  type Verdict,
} from '@outrigger/core';
import { GrpcStatus, grpcStatusOfHttp } from './status.js';

/** Decides a status before the built-in rules; `undefined` falls through to them. */
export type StatusClassifier = (
  code: number,
  metadata: Metadata | undefined,
) => Verdict | undefined;

/** What the classifier needs of an attempt that ended with a status (a grpc-js ServiceError). */
interface StatusLike {
  readonly code: number;
  readonly details?: string;
  readonly metadata?: Metadata;
}

/** A request that knows whether it may still be replayed (`GrpcRequest`). */
interface Committable {
  readonly committed?: boolean;
}

const PUSHBACK = 'grpc-retry-pushback-ms';

/**
 * The built-in status rules (gRFC A6 and the retry rules in the README): UNAVAILABLE is retryable, and `unsent` when
 * grpc-js failed the pick for want of a connection (the request never left); RESOURCE_EXHAUSTED
 * only when the server names a pushback; DEADLINE_EXCEEDED, INTERNAL, UNKNOWN and DATA_LOSS are
 * failures; every other status is the caller's business (NOT_FOUND, INVALID_ARGUMENT, ...), so
 * a success for health. A pushback that is present but not a non-negative integer means "do not
 * retry" (A6), so it turns a retryable status into a failure.
 */
export function classifyStatus(status: StatusLike): Verdict {
  const code = status.code;
  if (code === GrpcStatus.OK) return 'success';
  const pushback = pushbackOf(status.metadata);
  if (code === GrpcStatus.UNAVAILABLE) {
    if (pushback === null) return 'failure';
    return neverSent(status.details) ? 'unsent' : 'retryable';
  }
  if (code === GrpcStatus.RESOURCE_EXHAUSTED) {
    return pushback === undefined || pushback === null ? 'failure' : 'retryable';
  }
  if (
    code === GrpcStatus.DEADLINE_EXCEEDED ||
    code === GrpcStatus.INTERNAL ||
    code === GrpcStatus.UNKNOWN ||
    code === GrpcStatus.DATA_LOSS
  ) {
    return 'failure';
  }
  return 'success';
}

/**
 * grpc-js's pickers fail a call that has no connection to use with these details (pick_first,
 * round_robin and the queue picker); nothing of the call was written.
 */
function neverSent(details: string | undefined): boolean {
  return details !== undefined && /^(?:[a-z_]+: )?No connection established/.test(details);
}

/**
 * `grpc-retry-pushback-ms` in ms: undefined when absent, null when present but not a
 * non-negative integer (which A6 reads as "stop retrying").
 */
export function pushbackOf(metadata: Metadata | undefined): number | undefined | null {
  const values = metadata?.get(PUSHBACK);
  if (values === undefined || values.length === 0) return undefined;
  const text = values[0];
  if (typeof text !== 'string' || !/^\d{1,10}$/.test(text.trim())) return null;
  return Number(text.trim());
}

function isStatus(error: unknown): error is StatusLike {
  return (
    error !== null &&
    typeof error === 'object' &&
    typeof (error as { code?: unknown }).code === 'number' &&
    'metadata' in error
  );
}

/**
 * The gRPC classifier. Statuses by `classifyStatus` after the user's `classifyStatus` option; a
 * call that can no longer be replayed (a response message reached the caller, or the request
 * stream outgrew its replay buffer) is never retried nor requeued, whatever the status; an
 * injected abort by the gRPC status its HTTP status maps to (503: UNAVAILABLE, retried); other
 * errors as core judges them.
 */
export function createGrpcClassifier(custom?: StatusClassifier): Classifier<unknown> {
  const judge = (status: StatusLike): Verdict =>
    custom?.(status.code, status.metadata) ?? classifyStatus(status);
  const notReplayable = (verdict: Verdict, ctx: CallContext): Verdict => {
    if (verdict !== 'retryable' && verdict !== 'unsent') return verdict;
    const req = ctx.get(REQUEST_INFO) as Committable | undefined;
    return req?.committed === true ? 'failure' : verdict;
  };
  return {
    classifyResult: () => 'success',
    classifyError(error, ctx) {
      if (error instanceof FaultInjectedError) {
        // Judged by the status it pretends, so that drills exercise retries like the real thing.
        return notReplayable(judge({ code: grpcStatusOfHttp(error.status) }), ctx);
      }
      if (isStatus(error)) return notReplayable(judge(error), ctx);
      return notReplayable(defaultClassifier.classifyError(error, ctx), ctx);
    },
    retryAfterMs(_result, error) {
      if (!isStatus(error)) return undefined;
      return pushbackOf(error.metadata) ?? undefined;
    },
    discard: (result) => (result as { discard?(): void } | undefined)?.discard?.(),
  };
}

export type { StatusObject };
