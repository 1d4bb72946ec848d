import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  /** PEM text by file name: `ca.crt`, `server.key`, `server.crt`, `client.key`, `client.crt`. */
  readonly pem: Readonly<Record<string, string>>;
  /** The directory the files are in (`<name>.key`, `<name>.crt`). */
  readonly dir: string;
  /**
   * One more certificate, signed by the CA (or by itself with `selfSigned`), with its own key:
   * `san` as openssl writes it (`DNS:x,URI:spiffe://td/ns/a/sa/b,IP:127.0.0.1`).
   */
  issue(name: string, options: IssueOptions): Issued;
  /** Deletes the directory the files were made in. */
  remove(): void;
}

export interface IssueOptions {
  readonly san?: string;
  readonly usage: 'serverAuth' | 'clientAuth';
  readonly selfSigned?: boolean;
}

export interface Issued {
  readonly key: string;
  readonly crt: string;
  readonly keyPath: string;
  readonly crtPath: string;
}

/** The certificate's serial number (hex), as a server sees it presented. */
export function serialOf(issued: Issued): string {
  return new X509Certificate(issued.crt).serialNumber;
}

/** Seconds from now until the certificate expires, as the expiry gauge reports it. */
export function secondsToExpiry(issued: Issued): number {
  return (Date.parse(new X509Certificate(issued.crt).validTo) - Date.now()) / 1_000;
}

/**
 * A throwaway CA (P-256, valid two days), a server certificate for localhost and 127.0.0.1, and a
 * client certificate for mTLS, made with the system's openssl in a temporary directory.
 */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'outrigger-tls-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const key = (name: string) =>
    ssl(
      'genpkey',
      '-algorithm',
      'EC',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-out',
      `${name}.key`,
    );
  key('ca');
  ssl(
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=outrigger-test-ca',
  );
  for (const [name, ext] of [
    ['server', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth'],
    ['client', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    key(name);
    writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
    ssl('req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    );
  }
  const pem: Record<string, string> = {};
  for (const f of ['ca.crt', 'server.key', 'server.crt', 'client.key', 'client.crt']) {
    pem[f] = readFileSync(join(dir, f), 'utf8');
  }
  const issue = (name: string, options: IssueOptions): Issued => {
    key(name);
    const ext = [
      ...(options.san ? [`subjectAltName=${options.san}`] : []),
      `extendedKeyUsage=${options.usage}`,
    ];
    writeFileSync(join(dir, `${name}.ext`), `${ext.join('\n')}\n`);
    if (options.selfSigned) {
      const addext = ext.flatMap((line) => ['-addext', line]);
      ssl(
        'req',
        '-x509',
        '-new',
        '-key',
        `${name}.key`,
        '-out',
        `${name}.crt`,
        '-days',
        '2',
        '-subj',
        `/CN=${name}`,
        ...addext,
      );
    } else {
      ssl('req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
      ssl(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${name}.crt`,
        '-days',
        '2',
        '-extfile',
        `${name}.ext`,
      );
    }
    const keyPath = join(dir, `${name}.key`);
    const crtPath = join(dir, `${name}.crt`);
    return {
      key: readFileSync(keyPath, 'utf8'),
      crt: readFileSync(crtPath, 'utf8'),
      keyPath,
      crtPath,
    };
  };
  return { pem, dir, issue, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
