export {
  authorizationInterceptor,
  type GrpcAuthorizationOptions,
  type GrpcAuthorizationRule,
} from './authorize.js';
export {
  classifyStatus,
  createGrpcClassifier,
  pushbackOf,
  type StatusClassifier,
} from './classify.js';
export { createGrpcClient, type OutriggerGrpcClient, type UnaryPromises } from './client.js';
export { type HealthGateOptions, healthGate } from './health.js';
export {
  type OutriggerInterceptor,
  type OutriggerInterceptorOptions,
  outriggerInterceptor,
} from './interceptor.js';
export type { CallKind, MethodOptions } from './methods.js';
export type { GrpcClientOptions } from './options.js';
export {
  type InboundOptions,
  inboundServerInterceptor,
  withInboundHandler,
  withInboundService,
} from './server.js';
export { type ServerCredentialsFileOptions, serverCredentialsFromFiles } from './server-tls.js';
export { isServiceError, toServiceError } from './service-error.js';
export { GrpcStatus, grpcStatusFor } from './status.js';
export type { GrpcTlsOptions } from './tls-files.js';
export { ReplayLostError } from './transport.js';
