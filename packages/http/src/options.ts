import type { IncomingHttpHeaders } from 'node:http';
import {
  type ClientOptions,
  ConfigInvalidError,
  checkServiceName,
  type Verdict,
} from '@outrigger/core';
import { checkDeadlineHeader } from './deadline-header.js';
import { checkTls } from './tls-options.js';

export { DEFAULT_DEADLINE_HEADER } from './deadline-header.js';

/**
 * TLS towards every endpoint. Certificate verification is on unless `rejectUnauthorized: false`.
 * Checked at creation: PEM only (strings or Buffers), every certificate must parse, and the key
 * must be unencrypted and match the certificate.
 */
export interface TlsOptions {
  /** CA certificates to trust (PEM); the system store when omitted. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Client certificate and key, for mTLS (PEM). */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** SNI and the name the server certificate must carry; the endpoint host by default. */
  servername?: string;
  /** `false` switches certificate verification off. Only for tests; default true. */
  rejectUnauthorized?: boolean;
  /**
   * PEM files instead of `ca` / `cert` / `key`, re-read as `reload` says: a new valid pair is
   * used for connections opened from then on (`tls.reloaded`), open ones keep theirs; a bad one
   * is refused (`tls.rejected`) and the last good pair stays. Checked at creation.
   */
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** How often to look at the files: default `{ intervalMs: 60_000 }`; `false` reads them once. */
  reload?: { intervalMs?: number } | false;
}

/** Decides a response status before the built-in rules; `undefined` falls through to them. */
export type ResponseClassifier = (
  statusCode: number,
  headers: Readonly<IncomingHttpHeaders>,
) => Verdict | undefined;

/** `createHttpClient` options: the shared client options plus the HTTP transport's own. */
export interface HttpClientOptions extends ClientOptions {
  /** Routes (see the routing docs); passed to the chain as given. */
  routes?: unknown;
  /** TLS to every endpoint (`true`: system CAs, default settings). Off by default (plain HTTP). */
  tls?: TlsOptions | true | undefined;
  /**
   * Connections per endpoint, 1 to 10,000. Default: unlimited, as undici (the bulkhead bounds
   * concurrency). More than 10,000 to one endpoint would exhaust ephemeral ports before helping.
   */
  connections?: number | undefined;
  /** Requests in flight per connection (HTTP/1.1 pipelining), 0 to 100. Default 1 (none). */
  pipelining?: number | undefined;
  /**
   * Idle keep-alive per connection, unless the server says less; 1 to 600,000 (undici's cap on
   * a server's hint: no server keeps an idle connection longer). Default 4,000 (undici's).
   */
  keepAliveTimeoutMs?: number | undefined;
  /** TCP + TLS connect timeout, 1 to 3,600,000. Default 10,000, never more than `timeout.totalMs`. */
  connectTimeoutMs?: number | undefined;
  /**
   * A streamed request body is buffered up to this many bytes so that it can be replayed on a
   * retry; a longer one is streamed through once and never replayed. Default 1 MiB, 0 to 64 MiB:
   * the buffer is held per call in flight (up to `bulkhead.maxConcurrent` of them), so a larger
   * bound would let a burst of uploads hold gigabytes; a body that large is better sent once,
   * or retried by the caller from its source.
   */
  maxReplayBytes?: number | undefined;
  /**
   * Header that carries the remaining deadline to the next hop, in ms; `false` sends none.
   * Default `outrigger-timeout-ms`. A header HTTP or tracing gives a meaning (hop-by-hop,
   * credentials, framing and routing, conditionals, trace context) is refused, and a value the
   * caller sets in this header is never overwritten (see the README).
   */
  deadlineHeader?: string | false | undefined;
  /** Your own status rules, consulted first (for example: treat 500 as retryable). */
  classifyResponse?: ResponseClassifier | undefined;
}

/** The options this package adds; the core resolver is told they are not typos. */
export const HTTP_OPTION_KEYS = [
  'tls',
  'connections',
  'pipelining',
  'keepAliveTimeoutMs',
  'connectTimeoutMs',
  'maxReplayBytes',
  'deadlineHeader',
  'classifyResponse',
] as const;

export const DEFAULT_MAX_REPLAY_BYTES = 1024 * 1024;
/** The most `maxReplayBytes` can be; why is on the option. */
export const MAX_REPLAY_BYTES_LIMIT = 64 * 1024 * 1024;

/** The transport's settings, resolved once at client creation. */
export interface TransportSettings {
  readonly service: string;
  readonly tls: TlsOptions | undefined;
  readonly connections: number | undefined;
  readonly pipelining: number;
  readonly keepAliveTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly maxReplayBytes: number;
  readonly deadlineHeader: string | undefined;
  readonly classifyResponse: ResponseClassifier | undefined;
}

export function resolveTransport(
  options: HttpClientOptions,
  totalTimeoutMs: number | undefined,
): TransportSettings {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ConfigInvalidError({
      setting: 'options',
      value: Array.isArray(options) ? '(an array)' : options,
      expected: 'an options object with at least { service }',
    });
  }
  const service = checkServiceName(options.service);
  const where = `${service}: option`;
  const int = (name: keyof HttpClientOptions, min: number, max: number, fallback: number) => {
    const value = options[name];
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new ConfigInvalidError({
        setting: `${where} ${name}`,
        value,
        expected: `an integer from ${min} to ${max}`,
      });
    }
    return value;
  };
  const tls = checkTls(where, options.tls);
  const header = checkDeadlineHeader(where, options.deadlineHeader);
  if (options.classifyResponse !== undefined && typeof options.classifyResponse !== 'function') {
    throw new ConfigInvalidError({
      setting: `${where} classifyResponse`,
      value: options.classifyResponse,
      expected: 'a function (statusCode, headers) => verdict | undefined',
    });
  }
  const connectDefault = Math.min(10_000, totalTimeoutMs ?? 10_000);
  const connections =
    options.connections === undefined ? undefined : int('connections', 1, 10_000, 1);
  return {
    service,
    tls,
    connections,
    pipelining: int('pipelining', 0, 100, 1),
    keepAliveTimeoutMs: int('keepAliveTimeoutMs', 1, 600_000, 4_000),
    connectTimeoutMs: int('connectTimeoutMs', 1, 3_600_000, connectDefault),
    maxReplayBytes: int('maxReplayBytes', 0, MAX_REPLAY_BYTES_LIMIT, DEFAULT_MAX_REPLAY_BYTES),
    deadlineHeader: header,
    classifyResponse: options.classifyResponse,
  };
}
