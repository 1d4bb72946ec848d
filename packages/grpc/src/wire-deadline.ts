import type { CallContext } from '@outrigger/core';

/**
 * How far past the call's deadline grpc-js's own deadline is set. grpc-js counts the deadline
 * in whole milliseconds twice over: our `Date.now()` below truncates up to 1 ms, and the Node
 * timer it arms runs on the loop's whole-millisecond time, so it can fire up to 1 ms before the
 * delay it was given. Without the margin a call could end DEADLINE_EXCEEDED up to 2 ms before
 * its deadline. With it, grpc-js's timer is the backstop: Outrigger's deadline scheduler (never
 * early) cuts an unfinished attempt, and grpc-js ends a committed stream at most ~2 ms late.
 * The server's `grpc-timeout` is 2 ms longer than the caller's remaining time; gRPC rounds that
 * header up anyway.
 */
export const WIRE_DEADLINE_MARGIN_MS = 2;

/** grpc-js's deadline (ms since the epoch) from one on the chain's clock; Infinity (grpc-js: none) for none. */
export function wireDeadline(deadline: number, ctx: CallContext): number {
  if (deadline === Number.POSITIVE_INFINITY) return deadline;
  return Date.now() + (deadline - ctx.clock.now()) + WIRE_DEADLINE_MARGIN_MS;
}
