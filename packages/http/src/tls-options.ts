/**
 * The `tls` option, checked once at creation. Past ~200 lines because its two forms (PEM values
 * and files) share one key list and exclude each other, which is clearest checked in one place.
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import {
  ConfigInvalidError,
  checkTlsFileOptions,
  closest,
  DEFAULT_TLS_RELOAD_MS,
  readTlsFiles,
} from '@outrigger/core';
import type { TlsOptions } from './options.js';

const TLS_KEYS = [
  'ca',
  'cert',
  'key',
  'caFile',
  'certFile',
  'keyFile',
  'reload',
  'servername',
  'rejectUnauthorized',
] as const;
const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const KEY_BLOCK = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/**
 * Checks `tls` at creation, so that a wrong certificate fails there and not at the first
 * connect, or never: Node reads only PEM in `ca`, `cert` and `key`, and silently ignores a `ca`
 * with no PEM block in it (a DER file, a path given instead of its contents), after which every
 * connection fails verification against the system store. So a Buffer must hold PEM too, every
 * certificate block must parse, the key must parse without a passphrase (there is no passphrase
 * option), and the certificate must match the key. A key's content never appears in an error.
 */
export function checkTls(where: string, value: unknown): TlsOptions | undefined {
  if (value === undefined) return undefined;
  if (value === true) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigInvalidError({
      setting: `${where} tls`,
      value: Array.isArray(value) ? '(an array)' : value,
      expected: `true or { ${TLS_KEYS.join(', ')} }`,
    });
  }
  const tls = value as Record<string, unknown>;
  for (const key of Object.keys(tls)) {
    if ((TLS_KEYS as readonly string[]).includes(key)) continue;
    const guess = closest(key, TLS_KEYS);
    throw new ConfigInvalidError({
      setting: `${where} tls.${key}`,
      value: '(unknown option)',
      expected: `one of tls.{${TLS_KEYS.join(', ')}}`,
      ...(guess ? { hint: `Did you mean tls.${guess}?` } : {}),
    });
  }
  const bad = (name: string, shown: unknown, expected: string, hint?: string): never => {
    throw new ConfigInvalidError({
      setting: `${where} tls.${name}`,
      value: shown,
      expected,
      ...(hint ? { hint } : {}),
    });
  };
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    bad(
      tls.cert === undefined ? 'cert' : 'key',
      'unset',
      'both tls.cert and tls.key for mTLS, or neither',
    );
  }
  checkFiles(where, tls, bad);
  if (tls.ca !== undefined) {
    const list = Array.isArray(tls.ca) ? tls.ca : [tls.ca];
    if (list.length === 0) bad('ca', '[]', CA_FORM);
    for (const [i, item] of list.entries()) {
      certificates(Array.isArray(tls.ca) ? `ca[${i}]` : 'ca', item, bad);
    }
  }
  if (tls.cert !== undefined) {
    const cert = certificates('cert', tls.cert, bad)[0]!;
    const key = privateKey(tls.key, bad);
    if (!cert.checkPrivateKey(key)) {
      bad(
        'key',
        '(a private key)',
        `the private key of tls.cert (${cert.subject || 'no subject'})`,
      );
    }
  }
  if (
    tls.servername !== undefined &&
    (typeof tls.servername !== 'string' || tls.servername === '')
  ) {
    bad('servername', tls.servername, 'a host name the server certificate carries');
  }
  if (tls.rejectUnauthorized !== undefined && typeof tls.rejectUnauthorized !== 'boolean') {
    bad('rejectUnauthorized', tls.rejectUnauthorized, 'true or false');
  }
  return tls as TlsOptions;
}

type Bad = (name: string, shown: unknown, expected: string, hint?: string) => never;

/** The files of `tls` when it names any, for the pools' reloading source. */
export function tlsFilesOf(tls: TlsOptions | undefined): TlsOptions | undefined {
  return tls?.caFile !== undefined || tls?.certFile !== undefined ? tls : undefined;
}

/** The poll interval of a `tls` with files; undefined: read once (`reload: false`). */
export function tlsReloadMs(tls: TlsOptions): number | undefined {
  if (tls.reload === false) return undefined;
  return tls.reload?.intervalMs ?? DEFAULT_TLS_RELOAD_MS;
}

/**
 * `caFile` / `certFile` / `keyFile` instead of the PEM options, and `reload`: each file read now,
 * so that a wrong path or pair fails at creation as the PEM options do.
 */
function checkFiles(where: string, tls: Record<string, unknown>, bad: Bad): void {
  for (const [file, pem] of [
    ['caFile', 'ca'],
    ['certFile', 'cert'],
    ['keyFile', 'key'],
  ] as const) {
    if (tls[file] !== undefined && tls[pem] !== undefined) {
      bad(file, tls[file], `tls.${file} or tls.${pem}, not both`);
    }
  }
  const hasFiles =
    tls.caFile !== undefined || tls.certFile !== undefined || tls.keyFile !== undefined;
  if (!hasFiles) {
    if (tls.reload !== undefined) {
      bad('reload', JSON.stringify(tls.reload), 'only with tls.caFile or tls.certFile');
    }
    return;
  }
  const { files } = checkTlsFileOptions(where, tls, false);
  try {
    readTlsFiles(files);
  } catch (error) {
    const which = tls.certFile !== undefined ? 'certFile' : 'caFile';
    bad(
      which,
      tls[which],
      'readable PEM files: a certificate valid now and its unencrypted private key',
      (error as Error).message,
    );
  }
}

const CA_FORM =
  'PEM text (a string or Buffer holding "-----BEGIN CERTIFICATE-----" blocks), or an array of them';
const CERT_FORM = 'PEM text (a string or Buffer holding a "-----BEGIN CERTIFICATE-----" block)';

function pemText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1');
  return undefined;
}

/** The certificates in a `ca` or `cert` item, parsed; refuses an item with none. */
function certificates(name: string, value: unknown, bad: Bad): X509Certificate[] {
  const form = name === 'cert' ? CERT_FORM : CA_FORM;
  const text = pemText(value);
  if (text === undefined) bad(name, shownValue(value), form);
  const blocks = text!.match(CERT_BLOCK);
  if (!blocks) {
    bad(name, shownValue(value), form, 'Pass the file contents (readFileSync), in PEM, not DER');
  }
  return blocks!.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      return bad(
        name,
        shownValue(value),
        form,
        `Certificate block ${i + 1} does not parse: ${(error as Error).message}`,
      );
    }
  });
}

function privateKey(value: unknown, bad: Bad): KeyObject {
  const form =
    'an unencrypted private key in PEM (a string or Buffer holding "-----BEGIN … PRIVATE KEY-----")';
  const text = pemText(value);
  if (text === undefined) bad('key', shownValue(value), form);
  if (!KEY_BLOCK.test(text!))
    bad('key', `(a ${text!.length}-character value with no key block)`, form);
  try {
    return createPrivateKey(text!);
  } catch (error) {
    return bad('key', '(a private key)', form, `It does not parse: ${(error as Error).message}`);
  }
}

/** A value for an error message: short strings as they are, the rest described. */
function shownValue(value: unknown): unknown {
  if (typeof value === 'string') return value.length <= 60 ? value : `${value.slice(0, 57)}...`;
  if (value instanceof Uint8Array) return `(a ${value.length}-byte Buffer)`;
  if (Array.isArray(value)) return '(an array)';
  return value;
}
