/**
 * A grpc-js server's certificate, key and client CA from files, re-read as they rotate. The
 * credentials hand grpc-js the current pair at bind and every new pair after, which it gives
 * its HTTP/2 servers through `setSecureContext`: new handshakes use it, open connections keep
 * theirs. The checks and the poll are the clients' (decision 0055).
 *
 * Not grpc-js's `createCertificateProviderServerCredentials`: its server reads the context before
 * it subscribes, so a provider must answer later, and until it does the server drops every
 * connection; these credentials hold the first pair from creation.
 */
import { ServerCredentials } from '@grpc/grpc-js';
import {
  ConfigInvalidError,
  checkTlsFileOptions,
  type EventBus,
  reloadedEvent,
  type TlsFileOptions,
  TlsFileSource,
  type TlsMaterial,
  unknownOptionError,
} from '@outrigger/core';

export interface ServerCredentialsFileOptions extends TlsFileOptions {
  /** The server's certificate and key (PEM files). */
  certFile: string;
  keyFile: string;
  /**
   * With `caFile`: `require` (default) refuses a handshake without a client certificate the CA
   * signed; `request` asks for one but lets callers without one in (for
   * `authorizationInterceptor` to decide). Without `caFile` no client certificate is asked for.
   */
  clientCertificate?: 'require' | 'request' | undefined;
  /** Where `tls.reloaded` / `tls.rejected` go. */
  events?: EventBus | undefined;
  /** The `service` those events carry. Default `server`. */
  name?: string | undefined;
}

const KEYS = [
  'caFile',
  'certFile',
  'keyFile',
  'reload',
  'clientCertificate',
  'events',
  'name',
] as const;
const WHERE = 'serverCredentialsFromFiles()';

type ContextOptions = { ca?: Buffer; cert: Buffer[]; key: Buffer[] };

function contextOptions(material: TlsMaterial): ContextOptions {
  return { ...(material.ca && { ca: material.ca }), cert: [material.cert!], key: [material.key!] };
}

class FileServerCredentials extends ServerCredentials {
  constructor(requestCert: boolean, rejectUnauthorized: boolean, initial: ContextOptions) {
    super({ requestCert, rejectUnauthorized }, initial);
  }
  update(options: ContextOptions): void {
    this.updateSecureContextOptions(options);
  }
  _equals(other: ServerCredentials): boolean {
    return this === other;
  }
}

/**
 * ```ts
 * const tls = serverCredentialsFromFiles({ caFile, certFile, keyFile });
 * server.bindAsync(address, tls.credentials, callback);
 * // on shutdown: tls.close();
 * ```
 * Throws CONFIG_INVALID naming the file when the first read fails.
 */
export function serverCredentialsFromFiles(options: ServerCredentialsFileOptions): {
  readonly credentials: ServerCredentials;
  close(): void;
} {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigInvalidError({
      setting: `${WHERE} options`,
      value: options,
      expected: '{ certFile, keyFile, caFile?, clientCertificate?, reload? }',
    });
  }
  for (const key of Object.keys(options)) {
    if ((KEYS as readonly string[]).includes(key)) continue;
    throw unknownOptionError({
      path: key,
      value: (options as unknown as Record<string, unknown>)[key],
      valid: KEYS,
      owner: WHERE,
      setting: `${WHERE} ${key}`,
    });
  }
  const mode = options.clientCertificate ?? 'require';
  if (mode !== 'require' && mode !== 'request') {
    throw new ConfigInvalidError({
      setting: `${WHERE} clientCertificate`,
      value: mode,
      expected: '"require" or "request"',
    });
  }
  const { files, intervalMs } = checkTlsFileOptions(
    WHERE,
    options as unknown as Record<string, unknown>,
    true,
  );
  const name = options.name ?? 'server';
  let credentials: FileServerCredentials | undefined;
  let source: TlsFileSource;
  try {
    source = new TlsFileSource({
      files,
      intervalMs,
      onReloaded: (material) => {
        credentials?.update(contextOptions(material));
        options.events?.emit('tls.reloaded', reloadedEvent(name, material, false));
      },
      onRejected: (reason) => options.events?.emit('tls.rejected', { service: name, reason }),
    });
  } catch (error) {
    throw new ConfigInvalidError({
      setting: `${WHERE} certFile`,
      value: files.certFile,
      expected: 'readable PEM files: a certificate valid now and its unencrypted private key',
      hint: (error as Error).message,
    });
  }
  const withCa = files.caFile !== undefined;
  credentials = new FileServerCredentials(
    withCa,
    withCa && mode === 'require',
    contextOptions(source.current),
  );
  source.start();
  return { credentials, close: () => source.close() };
}
