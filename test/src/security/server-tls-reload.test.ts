/**
 * Servers' own certificates from files with reload: `serverTlsFromFiles` for node:https and
 * `serverCredentialsFromFiles` for grpc-js. After the files rotate, new handshakes get the new
 * certificate while a call already on a connection finishes on it; a bad pair keeps the old one.
 */
import { createServer } from 'node:https';
import { connect } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { EventBus } from '@outrigger/core';
import { createGrpcClient, serverCredentialsFromFiles } from '@outrigger/grpc';
import { createHttpClient, serverTlsFromFiles } from '@outrigger/http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Echo, type EchoMessage, echoServiceDefinition } from '../grpc/support/protos.js';
import { listenGrpc } from '../grpc/support/test-service.js';
import { backend, closeBackends } from '../http/servers.js';
import { type Issued, makeTestPki, serialOf as serial, type TestPki } from '../support/pki.js';
import { rotatingFiles, waitFor } from './rotating-files.js';

let pki: TestPki;
let first: Issued;
let second: Issued;
beforeAll(() => {
  pki = makeTestPki();
  const san = 'DNS:localhost,IP:127.0.0.1';
  first = pki.issue('server-1', { san, usage: 'serverAuth' });
  second = pki.issue('server-2', { san, usage: 'serverAuth' });
});
afterAll(() => pki.remove());

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await closeBackends();
});

/** The serial of the certificate a new handshake to `port` is shown (with a client certificate). */
function presented(port: number, alpn: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      {
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        ca: pki.pem['ca.crt'],
        cert: pki.pem['client.crt'],
        key: pki.pem['client.key'],
        ALPNProtocols: [alpn],
      },
      () => {
        resolve(socket.getPeerX509Certificate()!.serialNumber);
        socket.destroy();
      },
    );
    socket.on('error', reject);
  });
}

describe('server certificates from files', () => {
  it('node:https: new handshakes get the rotated certificate, a call in flight finishes', async () => {
    const files = rotatingFiles(pki.dir, first.crt, first.key);
    const events = new EventBus();
    const reloaded: (string | undefined)[] = [];
    const rejected: string[] = [];
    events.on('tls.reloaded', (e) => reloaded.push(e.serial));
    events.on('tls.rejected', (e) => rejected.push(e.reason));
    const tls = serverTlsFromFiles({
      caFile: `${pki.dir}/ca.crt`,
      certFile: files.certFile,
      keyFile: files.keyFile,
      reload: { intervalMs: 10 },
      events,
      name: 'payments',
    });
    closers.push(() => tls.close());
    const server = tls.attach(
      createServer({ ...tls.options, requestCert: true, rejectUnauthorized: true }),
    );
    const b = await backend((req, res) => {
      setTimeout(() => res.end('done'), req.url === '/slow' ? 150 : 0);
    }, server);
    expect(await presented(b.port, 'http/1.1')).toBe(serial(first));

    const client = createHttpClient({
      service: 'payments',
      discovery: [b.address],
      tls: {
        ca: pki.pem['ca.crt']!,
        cert: pki.pem['client.crt']!,
        key: pki.pem['client.key']!,
        servername: 'localhost',
      },
    });
    closers.push(() => client.close());
    const slow = client.fetch('/slow').then((r) => r.text());
    await waitFor(() => b.hits === 1, 'the slow call to arrive');
    files.swap(second.crt, second.key);
    await waitFor(() => reloaded.length === 1, 'tls.reloaded');
    expect(await presented(b.port, 'http/1.1')).toBe(serial(second));
    expect(await slow).toBe('done');
    expect(reloaded).toEqual([serial(second)]);

    files.swap(first.crt, second.key);
    await waitFor(() => rejected.length === 1, 'tls.rejected');
    expect(await presented(b.port, 'http/1.1')).toBe(serial(second));
  });

  it('grpc-js: new handshakes get the rotated certificate, calls keep succeeding', async () => {
    const files = rotatingFiles(pki.dir, first.crt, first.key);
    const events = new EventBus();
    const reloaded: (string | undefined)[] = [];
    events.on('tls.reloaded', (e) => reloaded.push(e.serial));
    const tls = serverCredentialsFromFiles({
      caFile: `${pki.dir}/ca.crt`,
      certFile: files.certFile,
      keyFile: files.keyFile,
      reload: { intervalMs: 10 },
      events,
    });
    closers.push(() => tls.close());
    const server = new grpc.Server();
    server.addService(echoServiceDefinition, {
      Say(
        call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>,
        cb: grpc.sendUnaryData<EchoMessage>,
      ) {
        setTimeout(() => cb(null, { text: 'ok', n: 0 }), call.request.n);
      },
    });
    const { address, port } = await listenGrpc(server, { credentials: tls.credentials });
    closers.push(() => server.forceShutdown());
    // Held from the first handshake: the server serves at once, with no unloaded window.
    expect(await presented(port, 'h2')).toBe(serial(first));

    const client = createGrpcClient(Echo, {
      service: 'echo',
      discovery: [address],
      tls: {
        caFile: `${pki.dir}/ca.crt`,
        certFile: `${pki.dir}/client.crt`,
        keyFile: `${pki.dir}/client.key`,
        servername: 'localhost',
      },
    });
    closers.push(() => client.close());
    const say = (n: number) =>
      new Promise<string>((resolve, reject) =>
        (
          client as unknown as {
            Say(m: EchoMessage, cb: grpc.requestCallback<EchoMessage>): void;
          }
        ).Say({ text: 'hi', n }, (e, r) => (e ? reject(e) : resolve(r!.text))),
      );
    expect(await say(0)).toBe('ok');
    const slow = say(150);
    files.swap(second.crt, second.key);
    await waitFor(() => reloaded.length === 1, 'tls.reloaded');
    expect(await presented(port, 'h2')).toBe(serial(second));
    expect(await slow).toBe('ok');
    expect(await say(0)).toBe('ok');
  });

  it('asks for but does not require a client certificate with clientCertificate: request', async () => {
    const tls = serverCredentialsFromFiles({
      caFile: `${pki.dir}/ca.crt`,
      certFile: `${pki.dir}/server.crt`,
      keyFile: `${pki.dir}/server.key`,
      clientCertificate: 'request',
      reload: false,
    });
    const server = new grpc.Server();
    server.addService(echoServiceDefinition, {
      Say(
        call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>,
        cb: grpc.sendUnaryData<EchoMessage>,
      ) {
        cb(null, { text: call.getAuthContext().sslPeerCertificate ? 'known' : 'anonymous', n: 0 });
      },
    });
    const { address } = await listenGrpc(server, { credentials: tls.credentials });
    closers.push(
      () => server.forceShutdown(),
      () => tls.close(),
    );
    const client = createGrpcClient(Echo, {
      service: 'echo',
      discovery: [address],
      tls: { caFile: `${pki.dir}/ca.crt`, servername: 'localhost', reload: false },
    });
    closers.push(() => client.close());
    const text = await new Promise<string>((resolve, reject) =>
      (
        client as unknown as {
          Say(m: EchoMessage, cb: grpc.requestCallback<EchoMessage>): void;
        }
      ).Say({ text: 'hi', n: 0 }, (e, r) => (e ? reject(e) : resolve(r!.text))),
    );
    expect(text).toBe('anonymous');
  });

  it('refuses a server pair that is missing or does not match, naming the file', () => {
    expect(() =>
      serverTlsFromFiles({ certFile: `${pki.dir}/server.crt`, keyFile: `${pki.dir}/client.key` }),
    ).toThrow(/client\.key is not the private key of .*server\.crt/);
    expect(() =>
      serverCredentialsFromFiles({
        certFile: `${pki.dir}/nope.crt`,
        keyFile: `${pki.dir}/server.key`,
      }),
    ).toThrow(/nope\.crt/);
  });
});
