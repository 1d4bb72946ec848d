/**
 * Certificate verification for the gRPC client, through grpc-js credentials or Outrigger's `tls`
 * files: a self-signed server is refused as UNAVAILABLE naming the TLS reason, a server signed
 * by the given CA is accepted, and `tls.servername` reaches a server whose certificate names a
 * host other than the address dialled.
 */
import * as grpc from '@grpc/grpc-js';
import { createGrpcClient, type GrpcClientOptions } from '@outrigger/grpc';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Echo, type EchoMessage, echoServiceDefinition } from '../grpc/support/protos.js';
import { listenGrpc } from '../grpc/support/test-service.js';
import { type Issued, makeTestPki, type TestPki } from '../support/pki.js';

let pki: TestPki;
let selfSigned: Issued;
let namedOnly: Issued;
let caFile: string;
beforeAll(() => {
  pki = makeTestPki();
  caFile = `${pki.dir}/ca.crt`;
  selfSigned = pki.issue('self-signed', {
    san: 'DNS:localhost,IP:127.0.0.1',
    usage: 'serverAuth',
    selfSigned: true,
  });
  namedOnly = pki.issue('payments', { san: 'DNS:payments.internal', usage: 'serverAuth' });
});
afterAll(() => pki.remove());

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function server(cert: {
  key: string;
  crt: string;
}): Promise<{ address: string; calls: () => number }> {
  let calls = 0;
  const s = new grpc.Server();
  s.addService(echoServiceDefinition, {
    Say(call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>, cb: grpc.sendUnaryData<EchoMessage>) {
      calls++;
      cb(null, { text: `secure ${call.request.text}`, n: 1 });
    },
  });
  const credentials = grpc.ServerCredentials.createSsl(null, [
    { private_key: Buffer.from(cert.key), cert_chain: Buffer.from(cert.crt) },
  ]);
  const { address } = await listenGrpc(s, { credentials });
  closers.push(() => s.forceShutdown());
  return { address, calls: () => calls };
}

function say(options: Omit<GrpcClientOptions, 'service'>) {
  const client = createGrpcClient(Echo, { service: 'secure', retry: false, ...options });
  closers.push(() => client.close());
  return new Promise<{ error: grpc.ServiceError | null; text?: string | undefined }>((resolve) =>
    (
      client as unknown as {
        Say: (m: EchoMessage, cb: grpc.requestCallback<EchoMessage>) => void;
      }
    ).Say({ text: 'hi', n: 0 }, (error, reply) => resolve({ error, text: reply?.text })),
  );
}

describe('gRPC TLS verification', () => {
  it('refuses a self-signed server as UNAVAILABLE naming the reason, by credentials or tls files', async () => {
    const s = await server(selfSigned);
    const system = await say({ discovery: [s.address], credentials: grpc.credentials.createSsl() });
    expect(system.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(system.error?.details).toMatch(/self[- ]signed/i);
    const files = await say({ discovery: [s.address], tls: { caFile, reload: false } });
    expect(files.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(files.error?.details).toMatch(/self[- ]signed/i);
    expect(s.calls()).toBe(0);
  });

  it('accepts a server signed by the CA in tls.caFile', async () => {
    const s = await server({ key: pki.pem['server.key']!, crt: pki.pem['server.crt']! });
    expect(await say({ discovery: [s.address], tls: { caFile } })).toMatchObject({
      error: null,
      text: 'secure hi',
    });
  });

  it('checks the name: a certificate for payments.internal at 127.0.0.1 needs tls.servername', async () => {
    const s = await server(namedOnly);
    const unnamed = await say({ discovery: [s.address], tls: { caFile } });
    expect(unnamed.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(s.calls()).toBe(0);
    const named = await say({
      discovery: [s.address],
      tls: { caFile, servername: 'payments.internal' },
    });
    expect(named).toMatchObject({ error: null, text: 'secure hi' });
    const wrong = await say({
      discovery: [s.address],
      tls: { caFile, servername: 'other.internal' },
    });
    expect(wrong.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(s.calls()).toBe(1);
  });

  it('refuses tls together with credentials, and files that are not there', () => {
    expect(() =>
      createGrpcClient(Echo, {
        service: 'x',
        discovery: ['127.0.0.1:1'],
        tls: { caFile },
        credentials: grpc.credentials.createInsecure(),
      }),
    ).toThrow(/CONFIG_INVALID|not both/);
    expect(() =>
      createGrpcClient(Echo, {
        service: 'x',
        discovery: ['127.0.0.1:1'],
        tls: { caFile: `${pki.dir}/missing.crt` },
      }),
    ).toThrow(/tls\.caFile.*missing\.crt/s);
  });
});
