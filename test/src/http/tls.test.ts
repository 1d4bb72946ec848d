import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { createHttpClient, type HttpClient } from '@outrigger/http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../support/pki.js';
import { backend, closeBackends } from './servers.js';

let pki: TestPki;
let pem: TestPki['pem'];
beforeAll(() => {
  pki = makeTestPki();
  pem = pki.pem;
});
afterAll(() => pki.remove());

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
    const cause = error.cause as { code?: string; cause?: { code?: string } };
    expect(cause.code).toBe('UNAVAILABLE');
    expect(String(cause.cause?.code)).toMatch(/CERT|SIGNATURE|ISSUER/);
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
