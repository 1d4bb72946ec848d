/**
 * Certificates read from files and re-read when the files change, for short-lived client and
 * server certificates (cert-manager, the SPIFFE helper, Vault agent rewrite them every hour or
 * so). The clients' `tls` files and the server helpers all read through this.
 *
 * Why a poll of the contents and not `fs.watch` (decision 0055): those writers replace files by
 * renaming or by swapping a symlink (a Kubernetes secret volume swaps `..data`), which a watch on
 * the file's old inode never sees, and inotify is absent on some volumes. Reading three small
 * files every `intervalMs` and comparing a hash costs microseconds and sees every kind of swap.
 * A writer that replaces the certificate before the key leaves a mismatched pair for a moment:
 * a pair is only refused (and reported) when it is still the same on the next poll, and until
 * then, and after a refusal, the last good pair stays in use.
 */
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { OutriggerEvents } from '../events/events.js';
import './events.js';

/** Where the PEM files are; `caFile` alone verifies servers, `certFile` + `keyFile` add mTLS. */
export interface TlsFiles {
  readonly caFile?: string | undefined;
  readonly certFile?: string | undefined;
  readonly keyFile?: string | undefined;
}

/** One good read of the files. */
export interface TlsMaterial {
  readonly ca: Buffer | undefined;
  readonly cert: Buffer | undefined;
  readonly key: Buffer | undefined;
  /** Node's context for these, made once per change (not per connection). */
  readonly secureContext: SecureContext;
  readonly serial: string | undefined;
  readonly notAfter: number | undefined;
}

export interface TlsFileSourceOptions {
  readonly files: TlsFiles;
  /** How often to look at the files; undefined: never (read once). */
  readonly intervalMs: number | undefined;
  /** A good new pair was taken. */
  readonly onReloaded?: ((material: TlsMaterial) => void) | undefined;
  /** A changed set of files was refused; the last good pair stays. */
  readonly onRejected?: ((reason: string) => void) | undefined;
  /** Wall-clock time for the validity check (tests move it). */
  readonly now?: (() => number) | undefined;
}

/** A certificate file is a few KB; a bundle of CAs rarely 200 KB. Past this it is not PEM for us. */
export const MAX_TLS_FILE_BYTES = 1024 * 1024;

/**
 * Reads `files` and checks them: every file readable and under `MAX_TLS_FILE_BYTES`, PEM that
 * parses, the key unencrypted and matching the certificate, the certificate valid at `now`.
 * Throws an Error whose message names the file and the fault, never the content.
 */
export function readTlsFiles(files: TlsFiles, now: number = Date.now()): TlsMaterial {
  return materialOf(readRaw(files), files, now);
}

interface Raw {
  readonly ca: Buffer | undefined;
  readonly cert: Buffer | undefined;
  readonly key: Buffer | undefined;
  readonly hash: string;
}

function readRaw(files: TlsFiles): Raw {
  const read = (path: string | undefined): Buffer | undefined => {
    if (path === undefined) return undefined;
    const data = readFileSync(path);
    if (data.length > MAX_TLS_FILE_BYTES) {
      throw new Error(`${path} is ${data.length} bytes, over the ${MAX_TLS_FILE_BYTES}-byte cap`);
    }
    return data;
  };
  const ca = read(files.caFile);
  const cert = read(files.certFile);
  const key = read(files.keyFile);
  const hash = createHash('sha256');
  for (const part of [ca, cert, key]) {
    hash.update(String(part?.length ?? -1));
    hash.update(':');
    if (part) hash.update(part);
  }
  return { ca, cert, key, hash: hash.digest('hex') };
}

function materialOf(raw: Raw, files: TlsFiles, now: number): TlsMaterial {
  let serial: string | undefined;
  let notAfter: number | undefined;
  if (raw.ca !== undefined && !raw.ca.includes('-----BEGIN CERTIFICATE-----')) {
    throw new Error(`${files.caFile} holds no PEM certificate`);
  }
  if (raw.cert !== undefined && raw.key !== undefined) {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(raw.cert);
    } catch (error) {
      throw new Error(`${files.certFile} is not a PEM certificate (${(error as Error).message})`);
    }
    let key: ReturnType<typeof createPrivateKey>;
    try {
      key = createPrivateKey(raw.key);
    } catch {
      // The parser's message can quote the input: name the file only.
      throw new Error(`${files.keyFile} is not an unencrypted PEM private key`);
    }
    if (!cert.checkPrivateKey(key)) {
      throw new Error(`${files.keyFile} is not the private key of ${files.certFile}`);
    }
    const from = Date.parse(cert.validFrom);
    const to = Date.parse(cert.validTo);
    if (now < from) throw new Error(`${files.certFile} is not valid before ${cert.validFrom}`);
    if (now >= to) throw new Error(`${files.certFile} expired at ${cert.validTo}`);
    serial = cert.serialNumber;
    notAfter = to;
  }
  let secureContext: SecureContext;
  try {
    secureContext = createSecureContext({ ca: raw.ca, cert: raw.cert, key: raw.key });
  } catch (error) {
    throw new Error(`Node refused the TLS files: ${(error as Error).message}`);
  }
  return { ca: raw.ca, cert: raw.cert, key: raw.key, secureContext, serial, notAfter };
}

/**
 * The `tls.reloaded` event for `material`, as every transport and server helper emits it
 * (`initial`: the files read when the client was made).
 */
export function reloadedEvent(
  service: string,
  material: TlsMaterial,
  initial: boolean,
): OutriggerEvents['tls.reloaded'] {
  return { service, initial, serial: material.serial, notAfter: material.notAfter };
}

/**
 * The current good material, re-read every `intervalMs` once started, on an unref'd timer (a
 * process with only this left exits). `close()` stops it.
 */
export class TlsFileSource {
  readonly #options: TlsFileSourceOptions;
  #current: TlsMaterial;
  #hash: string;
  /** A changed set that failed once: refused and reported only if the next poll sees it again. */
  #suspect: string | undefined;
  /** The last refused set, so that one bad pair is reported once, not on every poll. */
  #refused: string | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** Reads the files now: throws (naming the file) when the first read fails. */
  constructor(options: TlsFileSourceOptions) {
    this.#options = options;
    const raw = readRaw(options.files);
    this.#current = materialOf(raw, options.files, this.#now());
    this.#hash = raw.hash;
  }

  /**
   * Starts looking at the files every `intervalMs` (apart from the constructor, so that a client
   * whose creation fails after the first read leaves no timer behind).
   */
  start(): void {
    const ms = this.#options.intervalMs;
    if (ms === undefined || this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.check(), ms);
    this.#timer.unref();
  }

  get current(): TlsMaterial {
    return this.#current;
  }

  /** Looks at the files once (the timer calls this; tests may too). True when a new pair was taken. */
  check(): boolean {
    let raw: Raw;
    try {
      raw = readRaw(this.#options.files);
    } catch (error) {
      // Mid-swap a path can be missing for an instant: refuse only what persists.
      return this.#fail(`unreadable:${(error as Error).message}`, (error as Error).message);
    }
    if (raw.hash === this.#hash) {
      this.#suspect = undefined;
      return false;
    }
    let material: TlsMaterial;
    try {
      material = materialOf(raw, this.#options.files, this.#now());
    } catch (error) {
      return this.#fail(raw.hash, (error as Error).message);
    }
    this.#current = material;
    this.#hash = raw.hash;
    this.#suspect = undefined;
    this.#refused = undefined;
    this.#options.onReloaded?.(material);
    return true;
  }

  #fail(id: string, reason: string): boolean {
    if (this.#suspect !== id) {
      this.#suspect = id;
      return false;
    }
    if (this.#refused !== id) {
      this.#refused = id;
      this.#options.onRejected?.(reason);
    }
    return false;
  }

  #now(): number {
    return this.#options.now?.() ?? Date.now();
  }

  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
