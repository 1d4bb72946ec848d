/**
 * mTLS from files with reload for the gRPC client: the certificate is rotated while calls run
 * against a server that ends connections after a short age (as servers behind a mesh do, with
 * max_connection_age), so channels reconnect during the test; no call fails, and every
 * connection made after the reload presents the new certificate, on the channel that existed
 * before it (grpc-js builds the TLS context per connection from the provider's latest pair).
 */
import * as grpc from '@grpc/grpc-js';
import { createGrpcClient } from '@outrigger/grpc';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Echo, type EchoMessage, echoServiceDefinition } from '../grpc/support/protos.js';
import { listenGrpc } from '../grpc/support/test-service.js';
import {
  type Issued,
  makeTestPki,
  secondsToExpiry,
  serialOf as serial,
  type TestPki,
} from '../support/pki.js';
import { findMetric, setUpMetrics } from '../telemetry/support/otel.js';
import { rotatingFiles, waitFor } from './rotating-files.js';

let pki: TestPki;
let first: Issued;
let second: Issued;
beforeAll(() => {
  pki = makeTestPki();
  first = pki.issue('client-1', { san: 'URI:spiffe://test/ns/a/sa/one', usage: 'clientAuth' });
  second = pki.issue('client-2', { san: 'URI:spiffe://test/ns/a/sa/one', usage: 'clientAuth' });
});
afterAll(() => pki.remove());

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function mtlsServer(options: grpc.ServerOptions = {}) {
  const served: string[] = [];
  const server = new grpc.Server(options);
  server.addService(echoServiceDefinition, {
    Say(call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>, cb: grpc.sendUnaryData<EchoMessage>) {
      const presented = call.getAuthContext().sslPeerCertificate?.serialNumber ?? 'none';
      served.push(presented);
      setTimeout(() => cb(null, { text: presented, n: 1 }), call.request.n);
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
    true,
  );
  const { address } = await listenGrpc(server, { credentials });
  closers.push(() => server.forceShutdown());
  return { address, served };
}

type Say = (m: EchoMessage, cb: grpc.requestCallback<EchoMessage>) => void;
function sayer(client: unknown) {
  return (delayMs = 0) =>
    new Promise<string>((resolve, reject) =>
      (client as { Say: Say }).Say({ text: 'hi', n: delayMs }, (error, reply) =>
        error ? reject(error) : resolve(reply!.text),
      ),
    );
}

describe('gRPC mTLS certificate reload', () => {
  it('rotates the client certificate mid-traffic without failing a call', async () => {
    // Connections live at most ~150 ms, so the channel reconnects several times during the test.
    const s = await mtlsServer({
      'grpc.max_connection_age_ms': 150,
      'grpc.max_connection_age_grace_ms': 1_000,
    });
    const files = rotatingFiles(pki.dir, first.crt, first.key);
    const client = createGrpcClient(Echo, {
      service: 'rotating',
      discovery: [s.address],
      tls: {
        caFile: `${pki.dir}/ca.crt`,
        certFile: files.certFile,
        keyFile: files.keyFile,
        servername: 'localhost',
        reload: { intervalMs: 10 },
      },
    });
    closers.push(() => client.close());
    const reloaded: (string | undefined)[] = [];
    const rejected: string[] = [];
    client.events.on('tls.reloaded', (e) => reloaded.push(e.serial));
    client.events.on('tls.rejected', (e) => rejected.push(e.reason));
    const say = sayer(client);

    expect(await say()).toBe(serial(first));
    const slow = say(200); // on the wire across the rotation
    let swapped = false;
    const results: string[] = [];
    const loop = async () => {
      // Bounded: until well after the swap, or 400 calls.
      for (let i = 0; i < 400; i++) {
        results.push(await say(2));
        if (swapped && results.at(-1) === serial(second) && i > 20) break;
      }
    };
    const loops = [loop(), loop()];
    await waitFor(() => results.length >= 10, 'traffic on the old certificate');
    files.swap(second.crt, second.key);
    await waitFor(() => reloaded.length === 1, 'tls.reloaded');
    swapped = true;
    await Promise.all(loops);

    expect(await slow).toBe(serial(first));
    expect(rejected).toEqual([]);
    // Every call succeeded (a failure would have rejected a loop); the old serial stops once the
    // channel reconnects, and the new one is what the calls end on.
    expect(results.slice(0, 10).every((r) => r === serial(first))).toBe(true);
    expect(results.at(-1)).toBe(serial(second));
    // Results are in completion order: once one call came back on a new connection, at most the
    // other loop's call, already in flight on the old connection, can still end with the old one.
    const firstNew = results.indexOf(serial(second));
    expect(results.slice(firstNew).filter((r) => r === serial(first)).length).toBeLessThanOrEqual(
      1,
    );
  });

  it('keeps the old pair when the new files are bad, and reports it', async () => {
    const s = await mtlsServer({ 'grpc.max_connection_age_ms': 100 });
    const files = rotatingFiles(pki.dir, first.crt, first.key);
    const client = createGrpcClient(Echo, {
      service: 'rotating',
      discovery: [s.address],
      tls: {
        caFile: `${pki.dir}/ca.crt`,
        certFile: files.certFile,
        keyFile: files.keyFile,
        servername: 'localhost',
        reload: { intervalMs: 10 },
      },
    });
    closers.push(() => client.close());
    const rejected: string[] = [];
    client.events.on('tls.rejected', (e) => rejected.push(e.reason));
    const say = sayer(client);
    expect(await say()).toBe(serial(first));
    files.swap('not a certificate', first.key);
    await waitFor(() => rejected.length === 1, 'tls.rejected');
    expect(rejected[0]).toMatch(/tls\.crt is not a PEM certificate/);
    // Past a connection age, the channel reconnects, still with the first pair.
    const before = s.served.length;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await say()).toBe(serial(first));
    expect(s.served.length).toBe(before + 1);
  });
  it('reports the certificate expiry and reloads as metrics', async () => {
    const metrics = setUpMetrics({ global: false });
    closers.push(() => metrics.shutdown());
    const files = rotatingFiles(pki.dir, first.crt, first.key);
    const client = createGrpcClient(Echo, {
      service: 'metered',
      discovery: ['127.0.0.1:1'],
      meterProvider: metrics.provider,
      tls: {
        caFile: `${pki.dir}/ca.crt`,
        certFile: files.certFile,
        keyFile: files.keyFile,
        reload: { intervalMs: 10 },
      },
    });
    closers.push(() => client.close());
    const reloaded: unknown[] = [];
    client.events.on('tls.reloaded', (e) => reloaded.push(e));
    const points = async (name: string) =>
      (findMetric(await metrics.collect(), name)?.dataPoints ?? []).map((p) => p.value as number);
    const [atStart] = await points('outrigger.client.tls.certificate.expiry');
    expect(Math.abs(atStart! - secondsToExpiry(first))).toBeLessThan(5);
    expect(await points('outrigger.client.tls.reloads')).toEqual([]);
    files.swap(second.crt, second.key);
    await waitFor(() => reloaded.length === 1, 'tls.reloaded');
    expect(await points('outrigger.client.tls.reloads')).toEqual([1]);
    const [afterReload] = await points('outrigger.client.tls.certificate.expiry');
    expect(Math.abs(afterReload! - secondsToExpiry(second))).toBeLessThan(5);
  });

  it('stops polling the files on close', async () => {
    const files = rotatingFiles(pki.dir, first.crt, first.key);
    const client = createGrpcClient(Echo, {
      service: 'closing',
      discovery: ['127.0.0.1:1'],
      tls: {
        caFile: `${pki.dir}/ca.crt`,
        certFile: files.certFile,
        keyFile: files.keyFile,
        reload: { intervalMs: 10 },
      },
    });
    const events: unknown[] = [];
    client.events.on('tls.reloaded', (e) => events.push(e));
    client.events.on('tls.rejected', (e) => events.push(e));
    await client.close();
    files.swap(second.crt, second.key);
    // Six poll intervals: a poll still running would have taken the new pair by now.
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(events).toEqual([]);
  });
});
