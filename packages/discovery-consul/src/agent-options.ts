import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigInvalidError } from '@outrigger/core';

/** How to reach the local Consul agent; every field defaults from Consul's own `CONSUL_*` variables. */
export interface ConsulAgentOptions {
  /**
   * `http://host:port`, `https://host:port`, `unix:///path/to/consul.sock` or `host:port` (HTTP,
   * or HTTPS when `CONSUL_HTTP_SSL=true`), as the Consul CLI reads `CONSUL_HTTP_ADDR`.
   * Default: `CONSUL_HTTP_ADDR`, else `http://127.0.0.1:8500`.
   */
  agentAddress?: string | undefined;
  /** ACL token, sent as `X-Consul-Token` and never logged. Default: `CONSUL_HTTP_TOKEN`, else the file named by `CONSUL_HTTP_TOKEN_FILE`. */
  token?: string | undefined;
  /** TLS for an `https://` address. Default: `CONSUL_CACERT`, `CONSUL_CLIENT_CERT`, `CONSUL_CLIENT_KEY`, `CONSUL_TLS_SERVER_NAME`, `CONSUL_HTTP_SSL_VERIFY`. */
  tls?: ConsulTlsOptions | undefined;
  /** Largest response body accepted, in bytes; a larger one is cut off with an error. Default 16 MiB. */
  maxBodyBytes?: number | undefined;
  /** Time allowed for a non-blocking request, and the slack added to a blocking one's `wait + wait/16`. Default 10,000. */
  requestTimeoutMs?: number | undefined;
  /** Where `CONSUL_*` variables are read from. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

export interface ConsulTlsOptions {
  /** PEM text or a file path (`caFile`). */
  ca?: string | undefined;
  caFile?: string | undefined;
  cert?: string | undefined;
  certFile?: string | undefined;
  key?: string | undefined;
  keyFile?: string | undefined;
  serverName?: string | undefined;
  /** Verify the agent's certificate. Default true. */
  verify?: boolean | undefined;
}

/** A checked agent: what the HTTP client needs, and a key that identifies it for sharing. */
export interface ResolvedAgent {
  /** `http(s)://host:port`; `http://localhost` for a unix socket. */
  readonly origin: string;
  readonly socketPath: string | undefined;
  /** For messages: the address as given, without credentials. */
  readonly display: string;
  readonly token: string | undefined;
  readonly tls:
    | { ca?: string; cert?: string; key?: string; servername?: string; rejectUnauthorized: boolean }
    | undefined;
  readonly maxBodyBytes: number;
  readonly requestTimeoutMs: number;
  /** Same agent, same token, same TLS: the same connections and the same watches. */
  readonly key: string;
}

const DEFAULT_ADDRESS = 'http://127.0.0.1:8500';

export function bad(setting: string, value: unknown, expected: string): never {
  throw new ConfigInvalidError({ setting, value, expected });
}

export function resolveAgent(options: ConsulAgentOptions, owner: string): ResolvedAgent {
  const env = options.env ?? process.env;
  const at = (name: string) => `${owner} ${name}`;
  const fromEnv = options.agentAddress === undefined && env.CONSUL_HTTP_ADDR;
  const raw = options.agentAddress ?? (env.CONSUL_HTTP_ADDR || DEFAULT_ADDRESS);
  const where = fromEnv ? 'CONSUL_HTTP_ADDR' : at('agentAddress');
  if (typeof raw !== 'string' || raw.trim() === '') {
    bad(where, raw, 'http://host:port, https://host:port, unix:///path or host:port');
  }
  const ssl = /^(1|true)$/i.test(env.CONSUL_HTTP_SSL ?? '');
  const { origin, socketPath } = parseAddress(raw.trim(), ssl, where);

  const token = options.token ?? (env.CONSUL_HTTP_TOKEN || tokenFile(env.CONSUL_HTTP_TOKEN_FILE));
  // The token itself is never echoed, not even in a CONFIG_INVALID message.
  if (token !== undefined && (typeof token !== 'string' || /[\r\n]/.test(token))) {
    bad(at('token'), '<redacted>', 'a string without line breaks');
  }
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1024) {
    bad(at('maxBodyBytes'), maxBodyBytes, 'an integer of at least 1024 (bytes)');
  }
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  if (!Number.isInteger(requestTimeoutMs) || requestTimeoutMs < 1 || requestTimeoutMs > 600_000) {
    bad(at('requestTimeoutMs'), requestTimeoutMs, 'an integer from 1 to 600000 (milliseconds)');
  }
  const tls = origin.startsWith('https:') ? resolveTls(options.tls, env, at) : undefined;
  // Hashed, so a map key printed while debugging shows no token or key material.
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        origin,
        socketPath,
        token ?? '',
        tls ?? null,
        maxBodyBytes,
        requestTimeoutMs,
      ]),
    )
    .digest('hex')
    .slice(0, 32);
  return {
    origin,
    socketPath,
    display: socketPath ? `unix://${socketPath}` : origin,
    token: token || undefined,
    tls,
    maxBodyBytes,
    requestTimeoutMs,
    key,
  };
}

function parseAddress(raw: string, ssl: boolean, where: string) {
  const expected = 'http://host:port, https://host:port, unix:///path or host:port';
  if (raw.startsWith('unix://')) {
    const path = raw.slice('unix://'.length);
    if (!path.startsWith('/')) bad(where, raw, `${expected} (a unix socket path is absolute)`);
    return { origin: 'http://localhost', socketPath: path };
  }
  const withScheme = /^[a-z]+:\/\//i.test(raw) ? raw : `${ssl ? 'https' : 'http'}://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return bad(where, raw, expected);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') bad(where, raw, expected);
  if (url.username || url.password || (url.pathname !== '/' && url.pathname !== '')) {
    bad(where, raw, `${expected}, with no path or credentials`);
  }
  return { origin: url.origin, socketPath: undefined };
}

function tokenFile(path: string | undefined): string | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch (error) {
    return bad('CONSUL_HTTP_TOKEN_FILE', path, `a readable file (${(error as Error).message})`);
  }
}

function resolveTls(
  given: ConsulTlsOptions | undefined,
  env: Readonly<Record<string, string | undefined>>,
  at: (name: string) => string,
): NonNullable<ResolvedAgent['tls']> {
  const read = (text: string | undefined, file: string | undefined, name: string) => {
    if (text !== undefined) return text;
    if (!file) return undefined;
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      return bad(name, file, `a readable PEM file (${(error as Error).message})`);
    }
  };
  const o = given ?? {};
  const tls: NonNullable<ResolvedAgent['tls']> = {
    rejectUnauthorized: o.verify ?? !/^(0|false)$/i.test(env.CONSUL_HTTP_SSL_VERIFY ?? ''),
  };
  const ca = read(
    o.ca,
    o.caFile ?? (given ? undefined : env.CONSUL_CACERT),
    o.caFile ? at('tls.caFile') : 'CONSUL_CACERT',
  );
  const cert = read(
    o.cert,
    o.certFile ?? (given ? undefined : env.CONSUL_CLIENT_CERT),
    o.certFile ? at('tls.certFile') : 'CONSUL_CLIENT_CERT',
  );
  const key = read(
    o.key,
    o.keyFile ?? (given ? undefined : env.CONSUL_CLIENT_KEY),
    o.keyFile ? at('tls.keyFile') : 'CONSUL_CLIENT_KEY',
  );
  const servername = o.serverName ?? (given ? undefined : env.CONSUL_TLS_SERVER_NAME);
  if ((cert === undefined) !== (key === undefined)) {
    bad(
      at('tls'),
      cert === undefined ? 'a key without a certificate' : 'a certificate without a key',
      'both a client certificate and its key, or neither',
    );
  }
  if (ca !== undefined) tls.ca = ca;
  if (cert !== undefined) tls.cert = cert;
  if (key !== undefined) tls.key = key;
  if (servername) tls.servername = servername;
  return tls;
}
