import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_TLS_FILE_BYTES, readTlsFiles, TlsFileSource } from './tls-files.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'outrigger-tls-files-'));
  for (const name of ['a', 'b']) {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.crt`,
        '-days',
        '1',
        '-subj',
        `/CN=${name}`,
      ]),
      { cwd: dir, stdio: 'ignore' },
    );
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const files = { certFile: '', keyFile: '' };
function write(cert: string, key: string) {
  files.certFile = join(dir, 'tls.crt');
  files.keyFile = join(dir, 'tls.key');
  writeFileSync(files.certFile, cert);
  writeFileSync(files.keyFile, key);
}
const read = (name: string) => readFileSync(join(dir, name), 'utf8');

describe('TlsFileSource', () => {
  it('refuses a mismatched pair, an expired or not-yet-valid certificate, and oversized files', () => {
    write(read('a.crt'), read('b.key'));
    expect(() => readTlsFiles(files)).toThrow(/tls\.key is not the private key of .*tls\.crt/);
    write(read('a.crt'), read('a.key'));
    expect(() => readTlsFiles(files, Date.now() + 3 * 86_400_000)).toThrow(/expired at/);
    expect(() => readTlsFiles(files, Date.now() - 86_400_000)).toThrow(/not valid before/);
    expect(readTlsFiles(files).serial).toMatch(/^[0-9A-F]+$/);
    writeFileSync(files.certFile, Buffer.alloc(MAX_TLS_FILE_BYTES + 1, 'a'));
    expect(() => readTlsFiles(files)).toThrow(/over the 1048576-byte cap/);
  });

  it('never puts key material in a reason', () => {
    write(read('a.crt'), 'garbage that is not a key -----BEGIN PRIVATE KEY----- secret');
    expect(() => readTlsFiles(files)).toThrow(/tls\.key is not an unencrypted PEM private key$/);
  });

  it('takes a good change at once, and refuses a bad one only when the next look sees it again, once', () => {
    write(read('a.crt'), read('a.key'));
    const reloaded: string[] = [];
    const rejected: string[] = [];
    const source = new TlsFileSource({
      files,
      intervalMs: undefined,
      onReloaded: (m) => reloaded.push(m.serial!),
      onRejected: (r) => rejected.push(r),
    });
    const first = source.current.serial;
    expect(source.check()).toBe(false); // unchanged
    // Half-way through a non-atomic rotation: the certificate is new, the key not yet.
    writeFileSync(files.certFile, read('b.crt'));
    expect(source.check()).toBe(false);
    expect(rejected).toEqual([]);
    writeFileSync(files.keyFile, read('b.key'));
    expect(source.check()).toBe(true);
    expect(reloaded).toHaveLength(1);
    expect(source.current.serial).not.toBe(first);
    // A bad pair that stays: refused on the second look, reported once.
    writeFileSync(files.keyFile, read('a.key'));
    for (let i = 0; i < 5; i++) source.check();
    expect(rejected).toHaveLength(1);
    expect(source.current.serial).toBe(reloaded[0]);
    source.close();
  });
});
