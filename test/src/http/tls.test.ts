import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { createHttpClient, type HttpClient } from '@outrigger/http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { backend, closeBackends } from './servers.js';

let dir: string;
const pem: Record<string, string> = {};
/** A throwaway CA, a server certificate for localhost/127.0.0.1 and a client certificate. */
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'outrigger-tls-'));
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
  for (const f of ['ca.crt', 'server.key', 'server.crt', 'client.key', 'client.crt']) {
    pem[f] = readFileSync(join(dir, f), 'utf8');
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let clients: HttpClient[] = [];
afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  clients = [];
  await closeBackends();
});

async function mtlsServer() {
  const server: Server = createServer({
    key: pem['server.key'],
    cert: pem['server.crt'],
    ca: pem['ca.crt'],
    requestCert: true,
    rejectUnauthorized: true,
  });
  return backend((req, res) => {
    res.end(`hello ${(req.socket as TLSSocket).getPeerCertificate().subject?.CN}`);
  }, server);
}

describe('TLS and mTLS', () => {
  it('talks mTLS with a client certificate, verifying the server against the given CA', async () => {
    const b = await mtlsServer();
    const c = createHttpClient({
      service: 'secure',
      discovery: [b.address],
      tls: {
        ca: pem['ca.crt']!,
        cert: pem['client.crt']!,
        key: pem['client.key']!,
        servername: 'localhost',
      },
    });
    clients.push(c);
    const res = await c.fetch('https://secure/x');
    expect(await res.text()).toBe('hello client');
  });

  it('verifies the server certificate unless told not to', async () => {
    const b = await mtlsServer();
    const untrusting = createHttpClient({
      service: 'secure',
      discovery: [b.address],
      retry: false,
      tls: { cert: pem['client.crt']!, key: pem['client.key']! },
    });
    clients.push(untrusting);
    const error = (await untrusting.fetch('/').then(
      () => undefined,
      (e: unknown) => e,
    )) as Error;
    expect(error).toBeInstanceOf(TypeError);
    expect(String((error.cause as { code?: string }).code)).toMatch(/CERT|SIGNATURE|ISSUER/);
  });

  it('is refused by a server that wants a client certificate when none is given', async () => {
    const b = await mtlsServer();
    const anonymous = createHttpClient({
      service: 'secure',
      discovery: [b.address],
      retry: false,
      tls: { ca: pem['ca.crt']!, servername: 'localhost' },
    });
    clients.push(anonymous);
    await expect(anonymous.fetch('/')).rejects.toBeInstanceOf(TypeError);
    expect(b.hits).toBe(0);
  });
});
