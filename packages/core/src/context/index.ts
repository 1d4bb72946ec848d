export { abortError } from './abort-error.js';
export { CallContext, type CallInit } from './call-context.js';
export { type AbortListener, Cancellation } from './cancellation.js';
export { type ContextKey, contextKey } from './context-key.js';
export { currentInbound, type InboundScope, runWithInbound } from './inbound-scope.js';
export { REQUEST_INFO, type RequestInfo } from './request-info.js';
