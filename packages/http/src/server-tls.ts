/**
 * The server side of certificates from files: an `https` (or `tls`, `http2` secure) server's own
 * certificate, key and client CA, re-read as they rotate. A new pair goes to the servers through
 * `setSecureContext`, so handshakes from then on use it while connections already open keep
 * theirs. The checks and the poll are the clients' (decision 0055).
 */
import type { Server as TlsServer } from 'node:tls';
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

export interface ServerTlsOptions extends TlsFileOptions {
  /** The server's certificate and key (PEM files). */
  certFile: string;
  keyFile: string;
  /** Where `tls.reloaded` / `tls.rejected` go. */
  events?: EventBus | undefined;
  /** The `service` those events carry. Default `server`. */
  name?: string | undefined;
}

export interface ServerTlsFiles {
  /** The current `ca`, `cert` and `key`, to spread into `createServer({ ...tls.options, ... })`. */
  readonly options: { ca?: Buffer; cert: Buffer; key: Buffer };
  /** Gives `server` every new pair from now on (until it closes); returns it. */
  attach<S extends TlsServer>(server: S): S;
  /** Stops looking at the files. */
  close(): void;
}

const KEYS = ['caFile', 'certFile', 'keyFile', 'reload', 'events', 'name'] as const;

/**
 * ```ts
 * const tls = serverTlsFromFiles({ caFile, certFile, keyFile });
 * const server = tls.attach(https.createServer({ ...tls.options, requestCert: true }, handler));
 * ```
 * Throws CONFIG_INVALID naming the file when the first read fails.
 */
export function serverTlsFromFiles(options: ServerTlsOptions): ServerTlsFiles {
  const where = 'serverTlsFromFiles()';
  if (typeof options !== 'object' || options === null) {
    throw new ConfigInvalidError({
      setting: `${where} options`,
      value: options,
      expected: '{ certFile, keyFile, caFile?, reload? }',
    });
  }
  for (const key of Object.keys(options)) {
    if ((KEYS as readonly string[]).includes(key)) continue;
    throw unknownOptionError({
      path: key,
      value: (options as unknown as Record<string, unknown>)[key],
      valid: KEYS,
      owner: where,
      setting: `${where} ${key}`,
    });
  }
  const { files, intervalMs } = checkTlsFileOptions(
    where,
    options as unknown as Record<string, unknown>,
    true,
  );
  const name = options.name ?? 'server';
  const servers = new Set<TlsServer>();
  let source: TlsFileSource;
  try {
    source = new TlsFileSource({
      files,
      intervalMs,
      onReloaded: (material) => {
        for (const server of servers) server.setSecureContext(contextOptions(material));
        options.events?.emit('tls.reloaded', reloadedEvent(name, material, false));
      },
      onRejected: (reason) => options.events?.emit('tls.rejected', { service: name, reason }),
    });
  } catch (error) {
    throw new ConfigInvalidError({
      setting: `${where} certFile`,
      value: files.certFile,
      expected: 'readable PEM files: a certificate valid now and its unencrypted private key',
      hint: (error as Error).message,
    });
  }
  source.start();
  return {
    get options() {
      return contextOptions(source.current);
    },
    attach(server) {
      servers.add(server);
      server.once('close', () => servers.delete(server));
      return server;
    },
    close() {
      source.close();
      servers.clear();
    },
  };
}

function contextOptions(material: TlsMaterial): { ca?: Buffer; cert: Buffer; key: Buffer } {
  return {
    ...(material.ca && { ca: material.ca }),
    cert: material.cert!,
    key: material.key!,
  };
}
