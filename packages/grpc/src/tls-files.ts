/**
 * `tls` from files for the gRPC client: grpc-js's certificate-provider credentials, fed by
 * Outrigger's checked, reloading file source rather than grpc-js's own FileWatcherCertificateProvider,
 * which hands grpc-js whatever it read (a certificate written before its key makes every new
 * connection fail until the next read) and says nothing about it. These credentials build the
 * TLS context from the latest update at each connect, so every channel, old or new, opens its
 * next connection with the new pair while its open connection carries on (decision 0055).
 */
import { rootCertificates } from 'node:tls';
import { type ChannelCredentials, experimental } from '@grpc/grpc-js';
import {
  ConfigInvalidError,
  checkTlsFileOptions,
  closest,
  type EventBus,
  reloadedEvent,
  TlsFileSource,
  type TlsFiles,
  type TlsMaterial,
} from '@outrigger/core';

/** `tls` for `createGrpcClient`: PEM files re-read as they change, instead of `credentials`. */
export interface GrpcTlsOptions {
  /** CAs to trust for the server certificate; the system store when omitted. */
  caFile?: string;
  /** Client certificate and key for mTLS. */
  certFile?: string;
  keyFile?: string;
  /** The name the server certificate must carry (and SNI); the endpoint's host by default. */
  servername?: string;
  /** How often to look at the files: default `{ intervalMs: 60_000 }`; `false` reads them once. */
  reload?: { intervalMs?: number } | false;
}

const KEYS = ['caFile', 'certFile', 'keyFile', 'servername', 'reload'] as const;
const SYSTEM_CAS = Buffer.from(rootCertificates.join('\n'));

type Listener<T> = (update: T | null) => void;
type CaUpdate = { caCertificate: Buffer };
type IdentityUpdate = { certificate: Buffer; privateKey: Buffer };

/** The files, their source, and the credentials every channel of one client shares. */
export class GrpcTlsFiles implements experimental.CertificateProvider {
  readonly credentials: ChannelCredentials;
  readonly servername: string | undefined;
  readonly #source: TlsFileSource;
  readonly #ca = new Set<Listener<CaUpdate>>();
  readonly #identity = new Set<Listener<IdentityUpdate>>();
  #events: EventBus | undefined;
  #service = '';

  /** Reads the files now: CONFIG_INVALID naming the option when they are missing or wrong. */
  constructor(where: string, value: unknown) {
    const { files, intervalMs, servername } = checkGrpcTls(where, value);
    this.servername = servername;
    try {
      this.#source = new TlsFileSource({
        files,
        intervalMs,
        onReloaded: (material) => this.#publish(material),
        onRejected: (reason) =>
          this.#events?.emit('tls.rejected', { service: this.#service, reason }),
      });
    } catch (error) {
      throw new ConfigInvalidError({
        setting: `${where} tls.${files.certFile !== undefined ? 'certFile' : 'caFile'}`,
        value: files.certFile ?? files.caFile,
        expected: 'readable PEM files: a certificate valid now and its unencrypted private key',
        hint: (error as Error).message,
      });
    }
    this.credentials = experimental.createCertificateProviderChannelCredentials(
      this,
      files.certFile !== undefined ? this : null,
    );
  }

  /** Starts re-reading the files, reporting on `events` (once the client exists). */
  start(service: string, events: EventBus): void {
    this.#service = service;
    this.#events = events;
    this.#announce(this.#source.current, true);
    this.#source.start();
  }

  close(): void {
    this.#source.close();
  }

  #publish(material: TlsMaterial): void {
    for (const listener of this.#ca) listener(caOf(material));
    const identity = identityOf(material);
    if (identity) for (const listener of this.#identity) listener(identity);
    this.#announce(material, false);
  }

  #announce(material: TlsMaterial, initial: boolean): void {
    this.#events?.emit('tls.reloaded', reloadedEvent(this.#service, material, initial));
  }

  // grpc-js registers these when a channel is made and expects the current value at once.
  addCaCertificateListener(listener: Listener<CaUpdate>): void {
    this.#ca.add(listener);
    listener(caOf(this.#source.current));
  }
  removeCaCertificateListener(listener: Listener<CaUpdate>): void {
    this.#ca.delete(listener);
  }
  addIdentityCertificateListener(listener: Listener<IdentityUpdate>): void {
    this.#identity.add(listener);
    listener(identityOf(this.#source.current));
  }
  removeIdentityCertificateListener(listener: Listener<IdentityUpdate>): void {
    this.#identity.delete(listener);
  }
}

function caOf(material: TlsMaterial): CaUpdate {
  // grpc-js passes `ca` to createSecureContext, which then trusts it instead of the system store.
  return { caCertificate: material.ca ?? SYSTEM_CAS };
}

function identityOf(material: TlsMaterial): IdentityUpdate | null {
  return material.cert && material.key
    ? { certificate: material.cert, privateKey: material.key }
    : null;
}

function checkGrpcTls(
  where: string,
  value: unknown,
): { files: TlsFiles; intervalMs: number | undefined; servername: string | undefined } {
  const bad = (name: string, shown: unknown, expected: string, hint?: string): never => {
    throw new ConfigInvalidError({
      setting: `${where} tls${name ? `.${name}` : ''}`,
      value: shown,
      expected,
      ...(hint ? { hint } : {}),
    });
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    bad('', String(value), `{ ${KEYS.join(', ')} }`);
  }
  const tls = value as Record<string, unknown>;
  for (const key of Object.keys(tls)) {
    if ((KEYS as readonly string[]).includes(key)) continue;
    const guess = closest(key, KEYS);
    bad(
      key,
      '(unknown option)',
      `one of tls.{${KEYS.join(', ')}}`,
      guess && `Did you mean tls.${guess}?`,
    );
  }
  if (
    tls.servername !== undefined &&
    (typeof tls.servername !== 'string' || tls.servername === '')
  ) {
    bad('servername', tls.servername, 'a host name the server certificate carries');
  }
  if (tls.caFile === undefined && tls.certFile === undefined && tls.keyFile === undefined) {
    bad('caFile', 'unset', 'tls.caFile, tls.certFile + tls.keyFile, or both (or use credentials)');
  }
  const { files, intervalMs } = checkTlsFileOptions(where, tls, false);
  return { files, intervalMs, servername: tls.servername as string | undefined };
}
