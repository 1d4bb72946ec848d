import { ConfigInvalidError } from '@outrigger/core';

/** The name of the header that carries the remaining deadline, in ms (docs/decisions/0030). */
export const DEFAULT_DEADLINE_HEADER = 'outrigger-timeout-ms';

const TOKEN = /^[!#$%&'*+.^_`|~0-9a-zA-Z-]+$/;

/**
 * Headers the deadline must never be written into, with why. The value is a number of ms, so in
 * any of these it would break the request (framing, Host, a conditional), leak or replace a
 * credential, or confuse a proxy or the trace; `authorization: 10000` instead of a bearer token
 * is the failure this prevents. Names are lower-case.
 */
const RESERVED_HEADERS: ReadonlyMap<string, string> = new Map([
  ...[
    'connection',
    'keep-alive',
    'proxy-connection',
    'te',
    'trailer',
    'transfer-encoding',
    'upgrade',
    'http2-settings',
  ].map((h) => [h, 'a hop-by-hop header'] as const),
  ...[
    'authorization',
    'proxy-authorization',
    'proxy-authenticate',
    'www-authenticate',
    'cookie',
    'cookie2',
    'set-cookie',
    'set-cookie2',
  ].map((h) => [h, 'a credential header'] as const),
  ...[
    'host',
    'content-length',
    'content-type',
    'content-encoding',
    'content-range',
    'expect',
    'range',
    'max-forwards',
    'forwarded',
    'via',
    'x-forwarded-for',
    'x-forwarded-host',
    'x-forwarded-proto',
    'origin',
  ].map((h) => [h, 'a framing or routing header'] as const),
  ...['if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since', 'if-range'].map(
    (h) => [h, 'a conditional request header'] as const,
  ),
  ...['idempotency-key', 'traceparent', 'tracestate', 'baggage', 'grpc-timeout'].map(
    (h) => [h, 'a header with a meaning of its own (retries, tracing or gRPC)'] as const,
  ),
]);

/** The header to carry the deadline in, lower-cased; undefined for `false` (send none). */
export function checkDeadlineHeader(where: string, header: unknown): string | undefined {
  if (header === false) return undefined;
  if (header === undefined) return DEFAULT_DEADLINE_HEADER;
  const expected =
    `a header name of your own (letters, digits and !#$%&'*+.^_\`|~-), such as ` +
    `"${DEFAULT_DEADLINE_HEADER}" (the default) or "x-deadline-ms", or false to send none`;
  const refuse = (hint?: string): never => {
    throw new ConfigInvalidError({
      setting: `${where} deadlineHeader`,
      value: header,
      expected,
      ...(hint ? { hint } : {}),
    });
  };
  if (typeof header !== 'string') return refuse();
  if (header.startsWith(':')) refuse(`"${header}" is an HTTP/2 pseudo-header`);
  if (!TOKEN.test(header)) refuse();
  const lower = header.toLowerCase();
  const reserved = RESERVED_HEADERS.get(lower);
  if (reserved) refuse(`"${lower}" is ${reserved}; the deadline would overwrite it`);
  if (lower.startsWith('proxy-')) refuse(`"${lower}" is meant for proxies`);
  return lower;
}
