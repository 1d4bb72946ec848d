import { type ErrorCode, FaultInjectedError, isOutriggerError } from '@outrigger/core';

/** gRPC status codes (numbering fixed by the gRPC spec, same as @grpc/grpc-js `status`). */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

const BY_CODE: Record<ErrorCode, number> = {
  TIMEOUT: GrpcStatus.DEADLINE_EXCEEDED,
  CANCELLED: GrpcStatus.CANCELLED,
  CIRCUIT_OPEN: GrpcStatus.UNAVAILABLE,
  NO_ENDPOINTS: GrpcStatus.UNAVAILABLE,
  BULKHEAD_FULL: GrpcStatus.RESOURCE_EXHAUSTED,
  RATE_LIMITED: GrpcStatus.RESOURCE_EXHAUSTED,
  BUDGET_EXHAUSTED: GrpcStatus.UNAVAILABLE,
  FAULT_INJECTED: GrpcStatus.UNAVAILABLE,
  CONFIG_INVALID: GrpcStatus.INVALID_ARGUMENT,
  CLIENT_CLOSED: GrpcStatus.CANCELLED,
  REQUEST_INVALID: GrpcStatus.INVALID_ARGUMENT,
  UNAVAILABLE: GrpcStatus.UNAVAILABLE,
};

/**
 * The status a refusal surfaces as (UNAVAILABLE for an open circuit or no endpoints,
 * DEADLINE_EXCEEDED for a timeout, RESOURCE_EXHAUSTED for a full bulkhead or a rate limit, as
 * the gRPC package's README documents); undefined for non-Outrigger errors. An injected abort
 * carries an HTTP status (FAULT_ABORT_STATUS), mapped as gRPC maps HTTP statuses.
 */
export function grpcStatusFor(error: unknown): number | undefined {
  if (!isOutriggerError(error)) return undefined;
  if (error instanceof FaultInjectedError) return grpcStatusOfHttp(error.status);
  return BY_CODE[error.code];
}

/** gRPC's mapping of an HTTP status to a gRPC one (doc/http-grpc-status-mapping.md). */
export function grpcStatusOfHttp(status: number): number {
  switch (status) {
    case 400:
      return GrpcStatus.INTERNAL;
    case 401:
      return GrpcStatus.UNAUTHENTICATED;
    case 403:
      return GrpcStatus.PERMISSION_DENIED;
    case 404:
      return GrpcStatus.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return GrpcStatus.UNAVAILABLE;
    default:
      return GrpcStatus.UNKNOWN;
  }
}
