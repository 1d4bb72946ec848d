import { contextKey } from './context-key.js';

/**
 * What routing needs to know of a request, protocol-free. A client facade puts one in the root
 * context; its own request object may implement this directly, to save an allocation.
 */
export interface RequestInfo {
  /** HTTP method, or `POST` for gRPC. */
  readonly method: string;
  /** URL path (no query), or `/package.Service/Method` for gRPC. */
  readonly path: string;
  /** Header / metadata value by lower-case name. */
  header(name: string): string | undefined;
}

export const REQUEST_INFO = contextKey<RequestInfo>('outrigger.requestInfo');
