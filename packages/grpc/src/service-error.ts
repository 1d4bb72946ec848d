import { Metadata, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { GrpcStatus, grpcStatusFor } from './status.js';

/** What grpc-js says when the caller cancels; callers match on it, so it is kept word for word. */
export const CANCELLED_DETAILS = 'Cancelled on client';

/** True for an error that already carries a gRPC status (a grpc-js ServiceError). */
export function isServiceError(error: unknown): error is ServiceError {
  return (
    error instanceof Error &&
    typeof (error as { code?: unknown }).code === 'number' &&
    (error as { metadata?: unknown }).metadata instanceof Metadata
  );
}

/**
 * The error a caller of the generated client expects: a grpc-js ServiceError as it came, or for
 * an Outrigger refusal one with its documented status (UNAVAILABLE, DEADLINE_EXCEEDED,
 * RESOURCE_EXHAUSTED, CANCELLED), `details` saying why, and the refusal as `cause`. Anything else
 * (a serializer that threw) is INTERNAL, as grpc-js reports its own client-side failures.
 */
export function toServiceError(error: unknown): ServiceError {
  if (isServiceError(error)) return error;
  const code = grpcStatusFor(error) ?? GrpcStatus.INTERNAL;
  const details = error instanceof Error ? error.message : String(error);
  const serviceError = new Error(`${code} ${STATUS_NAMES[code] ?? ''}: ${details}`, {
    cause: error,
  }) as ServiceError;
  serviceError.code = code;
  serviceError.details = details;
  serviceError.metadata = new Metadata();
  return serviceError;
}

/** A ServiceError built as grpc-js builds one from a status (a stream's non-OK end). */
export function fromStatus(status: StatusObject): ServiceError {
  const error = new Error(
    `${status.code} ${STATUS_NAMES[status.code] ?? 'UNKNOWN'}: ${status.details}`,
  ) as ServiceError;
  error.code = status.code;
  error.details = status.details;
  error.metadata = status.metadata;
  return error;
}

/** The status event that goes with an error. */
export function statusOf(error: ServiceError): StatusObject {
  return { code: error.code, details: error.details, metadata: error.metadata };
}

/** What the caller's own `cancel()` ends the call with, as grpc-js words it. */
export function cancelledError(cause?: unknown): ServiceError {
  const error = toServiceError(new Error(CANCELLED_DETAILS, { cause }));
  error.code = GrpcStatus.CANCELLED;
  error.message = `${GrpcStatus.CANCELLED} CANCELLED: ${CANCELLED_DETAILS}`;
  return error;
}

const STATUS_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(GrpcStatus).map(([name, code]) => [code, name]),
);
