/**
 * TLS and mTLS through grpc-js credentials: the server certificate is verified (a client that
 * does not trust the CA fails the call as UNAVAILABLE, never silently plaintext), and a server
 * that requires client certificates takes the client's.
 */
import * as grpc from '@grpc/grpc-js';
import { createGrpcClient } from '@outrigger/grpc';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../support/pki.js';
import { Echo, type EchoMessage, echoServiceDefinition } from './support/protos.js';
import { listenGrpc } from './support/test-service.js';

let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});
afterAll(() => pki.remove());

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function tlsServer(requireClientCert: boolean): Promise<string> {
  const server = new grpc.Server();
  server.addService(echoServiceDefinition, {
    Say(call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>, cb: grpc.sendUnaryData<EchoMessage>) {
      cb(null, { text: `secure ${call.request.text}`, n: 1 });
    },
  });
  const credentials = grpc.ServerCredentials.createSsl(
    Buffer.from(pki.pem['ca.crt']!),
    [
      {
        private_key: Buffer.from(pki.pem['server.key']!),
        cert_chain: Buffer.from(pki.pem['server.crt']!),
      },
    ],
    requireClientCert,
  );
  const { port } = await listenGrpc(server, { credentials });
  closers.push(() => server.forceShutdown());
  return `127.0.0.1:${port}`;
}

function say(
  client: unknown,
): Promise<{ error: grpc.ServiceError | null; text?: string | undefined }> {
  return new Promise((resolve) =>
    (client as { Say: (m: EchoMessage, cb: grpc.requestCallback<EchoMessage>) => void }).Say(
      { text: 'hi', n: 0 },
      (error, reply) => resolve({ error, text: reply?.text }),
    ),
  );
}

describe('gRPC TLS through grpc-js credentials', () => {
  it('verifies the server certificate, and presents a client certificate for mTLS', async () => {
    const address = await tlsServer(true);
    const mtls = createGrpcClient(Echo, {
      service: 'secure',
      discovery: [address],
      credentials: grpc.credentials.createSsl(
        Buffer.from(pki.pem['ca.crt']!),
        Buffer.from(pki.pem['client.key']!),
        Buffer.from(pki.pem['client.crt']!),
      ),
    });
    closers.push(() => mtls.close());
    expect(await say(mtls)).toMatchObject({ error: null, text: 'secure hi' });

    // Trusting the system store only: the test CA's certificate is refused.
    const untrusting = createGrpcClient(Echo, {
      service: 'untrusting',
      discovery: [address],
      credentials: grpc.credentials.createSsl(),
      retry: false,
    });
    closers.push(() => untrusting.close());
    expect((await say(untrusting)).error?.code).toBe(grpc.status.UNAVAILABLE);

    // Trusting the CA but with no client certificate: the mTLS server refuses the handshake.
    const anonymous = createGrpcClient(Echo, {
      service: 'anonymous',
      discovery: [address],
      credentials: grpc.credentials.createSsl(Buffer.from(pki.pem['ca.crt']!)),
      retry: false,
    });
    closers.push(() => anonymous.close());
    expect((await say(anonymous)).error?.code).toBe(grpc.status.UNAVAILABLE);
  });
});
