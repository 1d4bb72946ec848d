import type { Span } from '@opentelemetry/api';
import type { CallContext } from '@outrigger/core';
import type { ProtocolTelemetry } from '@outrigger/core/internal';
import type { GrpcAttempt } from './attempt.js';
import type { GrpcRequest } from './request.js';
import { isServiceError } from './service-error.js';
import { grpcStatusFor } from './status.js';

/** How the RPC conventions name a method: `rpc.service`, `rpc.method`, and the span name. */
export interface RpcNames {
  readonly rpcService: string;
  readonly rpcMethod: string;
  readonly spanName: string;
}

/** The names of a method from its path, `/package.Service/Method`. */
export function rpcNamesOf(path: string): RpcNames {
  const [, rpcService = '', rpcMethod = ''] = path.split('/');
  return { rpcService, rpcMethod, spanName: `${rpcService}/${rpcMethod}` };
}

/**
 * The RPC semantic conventions for gRPC spans: named `package.Service/Method`, with
 * `rpc.system` = `grpc`, `rpc.service`, `rpc.method`, `server.address` (the service; each
 * attempt's span then names the endpoint it went to) and `rpc.grpc.status_code` (with
 * `error.type` the status code, for a call that ended with one other than OK). `namesOf` reads
 * a request's method names; `statusOf` a result's status code (a streaming call commits at
 * its first message, before its status: OK so far).
 */
export function rpcTelemetry<Req, Res>(
  namesOf: (req: Req) => RpcNames,
  statusOf: (res: Res) => number,
): ProtocolTelemetry<Req, Res> {
  return {
    spanName: (req) => namesOf(req).spanName,
    requestAttributes(req: Req, span: Span, ctx: CallContext) {
      const names = namesOf(req);
      span.setAttribute('rpc.system', 'grpc');
      span.setAttribute('rpc.service', names.rpcService);
      span.setAttribute('rpc.method', names.rpcMethod);
      span.setAttribute('server.address', ctx.service);
    },
    duration: {
      name: 'rpc.client.duration',
      description: 'Duration of outbound RPCs.',
      unit: 'ms',
      boundaries: [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000],
      attributes(req, outcome) {
        const names = namesOf(req);
        return {
          'rpc.system': 'grpc',
          'rpc.service': names.rpcService,
          'rpc.method': names.rpcMethod,
          'rpc.grpc.status_code': outcome.ok ? statusOf(outcome.value) : errorStatus(outcome.error),
        };
      },
    },
    resultAttributes(res: Res, span: Span) {
      span.setAttribute('rpc.grpc.status_code', statusOf(res));
      return false;
    },
    errorAttributes(error: unknown, span: Span) {
      const code = errorStatus(error);
      span.setAttribute('rpc.grpc.status_code', code);
      // A refusal keeps its Outrigger code as `error.type`; a status from the wire is its number.
      if (grpcStatusFor(error) === undefined) span.setAttribute('error.type', String(code));
    },
  };
}

/** A failure's status: a ServiceError's code, an Outrigger refusal's mapped status, else UNKNOWN. */
function errorStatus(error: unknown): number {
  if (isServiceError(error)) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'number') return code;
  return grpcStatusFor(error) ?? 2;
}

/** The conventions for `createGrpcClient`'s calls. */
export const grpcTelemetry: ProtocolTelemetry<GrpcRequest, GrpcAttempt> = rpcTelemetry(
  (req: GrpcRequest) => req.info,
  (attempt: GrpcAttempt) => attempt.status?.code ?? 0,
);
