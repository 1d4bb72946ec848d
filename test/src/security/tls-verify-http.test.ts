/**
 * Certificate verification is on by default for the HTTP client: a self-signed server is
 * refused with the TLS reason as the cause, a server signed by a CA the client is given is
 * accepted, and `servername` reaches a server whose certificate names a host other than the
 * address dialled. Switching verification off takes an explicit `rejectUnauthorized: false`.
 */
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { createHttpClient, type HttpClient } from '@outrigger/http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { backend, closeBackends } from '../http/servers.js';
import { type Issued, makeTestPki, type TestPki } from '../support/pki.js';

let pki: TestPki;
let selfSigned: Issued;
let namedOnly: Issued;
beforeAll(() => {
  pki = makeTestPki();
  selfSigned = pki.issue('self-signed', {
    san: 'DNS:localhost,IP:127.0.0.1',
    usage: 'serverAuth',
    selfSigned: true,
  });
  // Valid for one name only, not for the address it listens on.
  namedOnly = pki.issue('payments', { san: 'DNS:payments.internal', usage: 'serverAuth' });
});
afterAll(() => pki.remove());

let clients: HttpClient[] = [];
afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  clients = [];
  await closeBackends();
});

function client(address: string, tls: Parameters<typeof createHttpClient>[0]['tls']): HttpClient {
  const c = createHttpClient({ service: 'secure', discovery: [address], retry: false, tls });
  clients.push(c);
  return c;
}

async function tlsBackend(cert: { key: string; crt: string }) {
  const server: Server = createServer({ key: cert.key, cert: cert.crt });
  return backend((req, res) => {
    res.end(`sni=${(req.socket as TLSSocket).servername || '-'}`);
  }, server);
}

/** The TLS reason: the innermost `code` of the rejection's cause chain. */
async function failure(c: HttpClient): Promise<{ error: Error; code: string }> {
  const error = (await c.fetch('/').then(
    () => undefined,
    (e: unknown) => e,
  )) as Error | undefined;
  expect(error).toBeInstanceOf(Error);
  let code = '';
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const c = (e as { code?: unknown }).code;
    if (typeof c === 'string') code = c;
  }
  return { error: error!, code };
}

describe('HTTP TLS verification', () => {
  it('refuses a self-signed server with the default settings (tls: true, the system CAs)', async () => {
    const b = await tlsBackend(selfSigned);
    const { code } = await failure(client(b.address, true));
    expect(code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(b.hits).toBe(0);
  });

  it('refuses a self-signed server when trusting a custom CA, given as PEM or as a file', async () => {
    const b = await tlsBackend(selfSigned);
    expect((await failure(client(b.address, { ca: pki.pem['ca.crt']! }))).code).toBe(
      'DEPTH_ZERO_SELF_SIGNED_CERT',
    );
    expect(
      (await failure(client(b.address, { caFile: `${pki.dir}/ca.crt`, reload: false }))).code,
    ).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(b.hits).toBe(0);
  });

  it('accepts a server signed by the custom CA, given as PEM or as a file', async () => {
    const b = await tlsBackend({ key: pki.pem['server.key']!, crt: pki.pem['server.crt']! });
    const pemClient = client(b.address, { ca: pki.pem['ca.crt']! });
    expect((await pemClient.fetch('/')).status).toBe(200);
    const fileClient = client(b.address, { caFile: `${pki.dir}/ca.crt` });
    expect((await fileClient.fetch('/')).status).toBe(200);
    // The system store alone does not know the test CA.
    expect((await failure(client(b.address, true))).code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('checks the name: a certificate for payments.internal at 127.0.0.1 needs servername', async () => {
    const b = await tlsBackend(namedOnly);
    const { code } = await failure(client(b.address, { ca: pki.pem['ca.crt']! }));
    expect(code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(b.hits).toBe(0);

    const named = client(b.address, { ca: pki.pem['ca.crt']!, servername: 'payments.internal' });
    const res = await named.fetch('/');
    // SNI carried the name too, so a server choosing its certificate by name would pick this one.
    expect(await res.text()).toBe('sni=payments.internal');

    const wrongName = client(b.address, { ca: pki.pem['ca.crt']!, servername: 'other.internal' });
    expect((await failure(wrongName)).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('skips verification only when told so explicitly (rejectUnauthorized: false)', async () => {
    const b = await tlsBackend(selfSigned);
    const insecure = client(b.address, { rejectUnauthorized: false });
    expect((await insecure.fetch('/')).status).toBe(200);
  });
});
