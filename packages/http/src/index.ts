export {
  authorizationMiddleware,
  authorizeInbound,
  type HttpAuthorizationOptions,
  type HttpAuthorizationRule,
} from './authorize.js';
export {
  classifyStatus,
  createHttpClassifier,
  type HttpOutcome,
  httpClassifier,
  parseRetryAfter,
} from './classify.js';
export { createHttpClient, type HttpClient } from './client.js';
export type { CallOverrides } from './client-core.js';
export { FAULT_HEADER, type FetchInit, type RequestLike } from './fetch.js';
export {
  installGlobalDispatcher,
  type OutriggerInterceptor,
  outriggerInterceptor,
} from './interceptor.js';
export {
  DEFAULT_DEADLINE_HEADER,
  DEFAULT_MAX_REPLAY_BYTES,
  type HttpClientOptions,
  type ResponseClassifier,
  type TlsOptions,
} from './options.js';
export type { HeadersLike } from './outbound.js';
export type { RequestOptions, ResponseData } from './request.js';
export { type InboundOptions, inboundMiddleware, runInbound, withInbound } from './server.js';
export { type ServerTlsFiles, type ServerTlsOptions, serverTlsFromFiles } from './server-tls.js';
export { BodyReplayError } from './transport.js';
