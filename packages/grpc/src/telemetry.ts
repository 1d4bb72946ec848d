import type { Span } from '@opentelemetry/api';
import type { CallContext } from '@outrigger/core';
import type { ProtocolTelemetry } from '@outrigger/core/internal';
import type { GrpcAttempt } from './attempt.js';
import type { GrpcRequest } from './request.js';
import { isServiceError } from './service-error.js';
import { grpcStatusFor } from './status.js';

/**
 * The RPC semantic conventions for gRPC spans: named `package.Service/Method`, with
 * `rpc.system` = `grpc`, `rpc.service`, `rpc.method`, `server.address` (the service; each
 * attempt's span then names the endpoint it went to) and `rpc.grpc.status_code` (with
 * `error.type` the status code, for a call that ended with one other than OK).
 */
export const grpcTelemetry: ProtocolTelemetry<GrpcRequest, GrpcAttempt> = {
  spanName: (req) => req.info.spanName,
  requestAttributes(req: GrpcRequest, span: Span, ctx: CallContext) {
    span.setAttribute('rpc.system', 'grpc');
    span.setAttribute('rpc.service', req.info.rpcService);
    span.setAttribute('rpc.method', req.info.rpcMethod);
    span.setAttribute('server.address', ctx.service);
  },
  duration: {
    name: 'rpc.client.duration',
    description: 'Duration of outbound RPCs.',
    unit: 'ms',
    boundaries: [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000],
    attributes(req, outcome) {
      const code = outcome.ok
        ? (outcome.value.status?.code ?? 0)
        : isServiceError(outcome.error)
          ? outcome.error.code
          : (grpcStatusFor(outcome.error) ?? 2);
      return {
        'rpc.system': 'grpc',
        'rpc.service': req.info.rpcService,
        'rpc.method': req.info.rpcMethod,
        'rpc.grpc.status_code': code,
      };
    },
  },
  resultAttributes(attempt: GrpcAttempt, span: Span) {
    // A streaming call commits at its first message, before its status: OK so far.
    span.setAttribute('rpc.grpc.status_code', attempt.status?.code ?? 0);
    return false;
  },
  errorAttributes(error: unknown, span: Span) {
    if (!isServiceError(error)) return;
    span.setAttribute('rpc.grpc.status_code', error.code);
    span.setAttribute('error.type', String(error.code));
  },
};
