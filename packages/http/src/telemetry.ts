import type { Span } from '@opentelemetry/api';
import type { CallContext } from '@outrigger/core';
import type { ProtocolTelemetry } from '@outrigger/core/internal';
import type { HttpAttempt } from './attempt.js';
import type { OutboundRequest } from './outbound.js';

/** The methods the HTTP semantic conventions name; any other is reported as `_OTHER`. */
const KNOWN_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
  'QUERY',
]);

/**
 * Query parameters whose values are redacted in `url.full`: the conventions' list, and the
 * names tokens travel under (RFC 6750's `access_token`, API keys, AWS's signed-URL credentials),
 * since a token must never reach a span (docs/security.md). Matched case-insensitively.
 */
const SECRET_QUERY =
  /([?&](?:AWSAccessKeyId|Signature|sig|X-Goog-Signature|X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|access_token|id_token|refresh_token|token|api_key|apikey|client_secret|password)=)[^&#]*/gi;

/**
 * The HTTP client semantic conventions for Outrigger's spans: named by method, with
 * `http.request.method`, `url.full` (the service's URL as the caller wrote it, a signature in
 * the query redacted; never credentials, which a target path cannot carry), `server.address`
 * (the service; each attempt's span then names the endpoint it went to),
 * `http.response.status_code`, and `error.type` for a 5xx status.
 */
export function httpTelemetry(secure: boolean): ProtocolTelemetry<OutboundRequest, HttpAttempt> {
  const scheme = secure ? 'https://' : 'http://';
  return {
    spanName: (req) => (KNOWN_METHODS.has(req.method) ? req.method : 'HTTP'),
    requestAttributes(req: OutboundRequest, span: Span, ctx: CallContext) {
      const known = KNOWN_METHODS.has(req.method);
      span.setAttribute('http.request.method', known ? req.method : '_OTHER');
      if (!known) span.setAttribute('http.request.method_original', req.method);
      span.setAttribute('url.full', `${scheme}${ctx.service}${redact(req.target)}`);
      span.setAttribute('server.address', ctx.service);
    },
    duration: {
      name: 'http.client.request.duration',
      description: 'Duration of HTTP client requests.',
      unit: 's',
      boundaries: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
      attributes(req, outcome) {
        const method = KNOWN_METHODS.has(req.method) ? req.method : '_OTHER';
        if (!outcome.ok)
          return { 'http.request.method': method, 'error.type': errorType(outcome.error) };
        const status = outcome.value.statusCode;
        return status >= 500
          ? {
              'http.request.method': method,
              'http.response.status_code': status,
              'error.type': String(status),
            }
          : { 'http.request.method': method, 'http.response.status_code': status };
      },
    },
    resultAttributes(attempt: HttpAttempt, span: Span) {
      const status = attempt.statusCode;
      span.setAttribute('http.response.status_code', status);
      if (status < 500) return false;
      span.setAttribute('error.type', String(status));
      return true;
    },
  };
}

function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : '_OTHER';
}

function redact(target: string): string {
  return target.includes('?') ? target.replace(SECRET_QUERY, '$1REDACTED') : target;
}
