import { type ChannelCredentials, type ChannelOptions, credentials } from '@grpc/grpc-js';
import { type ClientOptions, ConfigInvalidError } from '@outrigger/core';
import type { StatusClassifier } from './classify.js';
import type { MethodOptions } from './methods.js';
import { GrpcTlsFiles, type GrpcTlsOptions } from './tls-files.js';

/** `createGrpcClient` options: the shared client options plus the gRPC transport's own. */
export interface GrpcClientOptions extends ClientOptions {
  /** Routes (see the routing docs); they match on the method path `/package.Service/Method`. */
  routes?: unknown;
  /**
   * Channel credentials for every endpoint: `credentials.createSsl(ca, key, cert)` for TLS and
   * mTLS (grpc-js verifies the server certificate). Default: insecure (plaintext).
   */
  credentials?: ChannelCredentials | undefined;
  /**
   * TLS / mTLS from PEM files instead of `credentials`, re-read as they change: new connections
   * present the new pair (`tls.reloaded`), open ones keep theirs, a bad pair is refused
   * (`tls.rejected`) and the last good one stays. The server certificate is always verified.
   */
  tls?: GrpcTlsOptions | undefined;
  /** grpc-js channel options for every endpoint's channel (keepalive, message sizes, ...). */
  channelOptions?: ChannelOptions | undefined;
  /** Whether a method is safe to send twice when neither `methods` nor the proto say. Default true. */
  idempotent?: boolean | undefined;
  /** Per-method settings, by the method's name or its lower-camel alias. */
  methods?: Readonly<Record<string, MethodOptions>> | undefined;
  /** Your own status rules, consulted first (for example: retry ABORTED). */
  classifyStatus?: StatusClassifier | undefined;
  /**
   * A request stream (client-streaming, bidi) is kept up to this many serialized bytes so that
   * an attempt can be replayed; beyond it the call is committed to its attempt. 0 to 64 MiB,
   * default 1 MiB (held per call in flight, as the HTTP client's body replay).
   */
  maxReplayBytes?: number | undefined;
  /**
   * Active health checks through `grpc.health.v1.Health/Watch`: an endpoint that reports
   * NOT_SERVING gets no new calls. `true` watches the whole server (service ""); `{ service }`
   * one service name. Off by default.
   */
  healthCheck?: boolean | { service?: string | undefined } | undefined;
}

/** The options this package adds; the core resolver is told they are not typos. */
export const GRPC_OPTION_KEYS = [
  'credentials',
  'tls',
  'channelOptions',
  'idempotent',
  'methods',
  'classifyStatus',
  'maxReplayBytes',
  'healthCheck',
] as const;

const MAX_REPLAY_BYTES = 64 * 1024 * 1024;
const DEFAULT_REPLAY_BYTES = 1024 * 1024;

/** The transport's settings, checked once at creation. */
export interface GrpcTransportSettings {
  readonly credentials: ChannelCredentials;
  readonly channelOptions: ChannelOptions;
  /** `tls` from files: started (and closed) by the client. */
  readonly tlsFiles: GrpcTlsFiles | undefined;
  readonly idempotent: boolean;
  readonly maxReplayBytes: number;
  /** The service name health checks ask about; undefined when health checks are off. */
  readonly healthService: string | undefined;
}

export function resolveGrpcTransport(options: GrpcClientOptions): GrpcTransportSettings {
  const service = typeof options.service === 'string' ? options.service : 'grpc';
  const fail = (option: string, value: unknown, expected: string): never => {
    throw new ConfigInvalidError({ setting: `${service}: option ${option}`, value, expected });
  };
  if (options.tls !== undefined && options.credentials !== undefined) {
    fail('tls', '(set with credentials)', 'tls (files) or credentials, not both');
  }
  const tlsFiles =
    options.tls === undefined ? undefined : new GrpcTlsFiles(`${service}: option`, options.tls);
  const creds = tlsFiles?.credentials ?? options.credentials ?? credentials.createInsecure();
  if (
    typeof creds !== 'object' ||
    creds === null ||
    typeof (creds as { _isSecure?: unknown })._isSecure !== 'function'
  ) {
    fail('credentials', creds, 'grpc.credentials.createSsl(...) or createInsecure()');
  }
  const channelOptions = options.channelOptions ?? {};
  if (
    typeof channelOptions !== 'object' ||
    channelOptions === null ||
    Array.isArray(channelOptions)
  )
    fail('channelOptions', channelOptions, 'an object of grpc-js channel options');
  const idempotent = options.idempotent ?? true;
  if (typeof idempotent !== 'boolean') fail('idempotent', idempotent, 'true or false');
  const maxReplayBytes = options.maxReplayBytes ?? DEFAULT_REPLAY_BYTES;
  if (!Number.isInteger(maxReplayBytes) || maxReplayBytes < 0 || maxReplayBytes > MAX_REPLAY_BYTES)
    fail('maxReplayBytes', maxReplayBytes, `an integer from 0 to ${MAX_REPLAY_BYTES} (64 MiB)`);
  if (options.classifyStatus !== undefined && typeof options.classifyStatus !== 'function')
    fail('classifyStatus', options.classifyStatus, 'a function (code, metadata) => verdict');
  return {
    credentials: creds,
    tlsFiles,
    channelOptions:
      tlsFiles?.servername !== undefined
        ? { 'grpc.ssl_target_name_override': tlsFiles.servername, ...channelOptions }
        : channelOptions,
    idempotent,
    maxReplayBytes,
    healthService: healthServiceOf(options.healthCheck, fail),
  };
}

function healthServiceOf(
  value: GrpcClientOptions['healthCheck'],
  fail: (option: string, value: unknown, expected: string) => never,
): string | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return '';
  const checkService = (value as { service?: unknown } | null)?.service;
  if (
    typeof value !== 'object' ||
    value === null ||
    (checkService !== undefined && typeof checkService !== 'string') ||
    Object.keys(value).some((k) => k !== 'service')
  ) {
    return fail('healthCheck', value, 'true, false or { service?: string }');
  }
  return (checkService as string | undefined) ?? '';
}
