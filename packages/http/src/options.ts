import type { IncomingHttpHeaders } from 'node:http';
import { type ClientOptions, ConfigInvalidError, type Verdict } from '@outrigger/core';

/** TLS towards every endpoint. Certificate verification is on unless `rejectUnauthorized: false`. */
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
  /** Connections per endpoint. Default: unlimited, as undici (the bulkhead bounds concurrency). */
  connections?: number | undefined;
  /** Requests in flight per connection (HTTP/1.1 pipelining). Default 1 (none). */
  pipelining?: number | undefined;
  /** Idle keep-alive per connection, unless the server says less. Default 4,000 (undici's). */
  keepAliveTimeoutMs?: number | undefined;
  /** TCP + TLS connect timeout. Default 10,000, and never more than `timeout.totalMs`. */
  connectTimeoutMs?: number | undefined;
  /**
   * A streamed request body is buffered up to this many bytes so that it can be replayed on a
   * retry; a longer one is streamed through once and never replayed. Default 1 MiB.
   */
  maxReplayBytes?: number | undefined;
  /** Header that carries the remaining deadline to the next hop; `false` sends none. */
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

/** The name of the header that carries the remaining deadline, in ms (docs/decisions/0030). */
export const DEFAULT_DEADLINE_HEADER = 'outrigger-timeout-ms';
export const DEFAULT_MAX_REPLAY_BYTES = 1024 * 1024;

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
  const where = `${options.service}: option`;
  const int = (name: keyof HttpClientOptions, min: number, fallback: number) => {
    const value = options[name];
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      throw new ConfigInvalidError({
        setting: `${where} ${name}`,
        value,
        expected: `an integer of at least ${min}`,
      });
    }
    return value;
  };
  const tls = options.tls === true ? {} : options.tls;
  if (tls !== undefined && (typeof tls !== 'object' || tls === null)) {
    throw new ConfigInvalidError({
      setting: `${where} tls`,
      value: tls,
      expected: 'true or { ca, cert, key, servername, rejectUnauthorized }',
    });
  }
  if ((tls?.cert === undefined) !== (tls?.key === undefined)) {
    throw new ConfigInvalidError({
      setting: `${where} tls.${tls?.cert === undefined ? 'cert' : 'key'}`,
      value: 'unset',
      expected: 'both tls.cert and tls.key for mTLS, or neither',
    });
  }
  const header = options.deadlineHeader;
  if (header !== undefined && header !== false && !/^[!#$%&'*+.^_`|~0-9a-zA-Z-]+$/.test(header)) {
    throw new ConfigInvalidError({
      setting: `${where} deadlineHeader`,
      value: header,
      expected: 'an HTTP header name, or false to send no deadline',
    });
  }
  if (options.classifyResponse !== undefined && typeof options.classifyResponse !== 'function') {
    throw new ConfigInvalidError({
      setting: `${where} classifyResponse`,
      value: options.classifyResponse,
      expected: 'a function (statusCode, headers) => verdict | undefined',
    });
  }
  const connectDefault = Math.min(10_000, totalTimeoutMs ?? 10_000);
  const connections = options.connections === undefined ? undefined : int('connections', 1, 1);
  return {
    service: options.service,
    tls,
    connections,
    pipelining: int('pipelining', 0, 1),
    keepAliveTimeoutMs: int('keepAliveTimeoutMs', 1, 4_000),
    connectTimeoutMs: int('connectTimeoutMs', 1, connectDefault),
    maxReplayBytes: int('maxReplayBytes', 0, DEFAULT_MAX_REPLAY_BYTES),
    deadlineHeader:
      header === false ? undefined : (header ?? DEFAULT_DEADLINE_HEADER).toLowerCase(),
    classifyResponse: options.classifyResponse,
  };
}
