/**
 * Inbound authorization by mTLS peer identity for grpc-js servers (`authorizationInterceptor`),
 * on real sockets: rules per method and per service; a caller not listed, one with no client
 * certificate and one with a certificate no trusted CA signed are refused with
 * PERMISSION_DENIED before the handler runs, for unary and streaming calls alike.
 */
import * as grpc from '@grpc/grpc-js';
import { AUTHZ_METRIC, type AuthzDecisionEvent, EventBus } from '@outrigger/core';
import { authorizationInterceptor, createGrpcClient } from '@outrigger/grpc';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Echo, type EchoMessage, echoServiceDefinition } from '../grpc/support/protos.js';
import { listenGrpc } from '../grpc/support/test-service.js';
import { type Issued, makeTestPki, type TestPki } from '../support/pki.js';
import { findMetric, type Metrics, setUpMetrics } from '../telemetry/support/otel.js';

const CHECKOUT = 'spiffe://test.example/ns/shop/sa/checkout';
const INTRUDER = 'spiffe://test.example/ns/shop/sa/intruder';

let pki: TestPki;
const certs: Record<string, Issued> = {};
beforeAll(() => {
  pki = makeTestPki();
  certs.checkout = pki.issue('checkout', { san: `URI:${CHECKOUT}`, usage: 'clientAuth' });
  certs.intruder = pki.issue('intruder', { san: `URI:${INTRUDER}`, usage: 'clientAuth' });
  certs.reporting = pki.issue('reporting', { san: 'DNS:reporting.internal', usage: 'clientAuth' });
  certs.forged = pki.issue('forged', {
    san: `URI:${CHECKOUT}`,
    usage: 'clientAuth',
    selfSigned: true,
  });
});
afterAll(() => pki.remove());

const closers: Array<() => unknown> = [];
let telemetry: Metrics | undefined;
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await telemetry?.shutdown();
  telemetry = undefined;
});

/**
 * A fixed certificate provider, for server credentials that ask for but do not require one. It
 * answers on the next tick: grpc-js's server credentials subscribe before they register the
 * watcher that an answer has to reach.
 */
function fixed(update: Record<string, Buffer>): grpc.experimental.CertificateProvider {
  return {
    addCaCertificateListener: (l) => setImmediate(() => l(update as never)),
    removeCaCertificateListener: () => {},
    addIdentityCertificateListener: (l) => setImmediate(() => l(update as never)),
    removeIdentityCertificateListener: () => {},
  };
}

async function server(events: EventBus) {
  let handled = 0;
  const s = new grpc.Server({
    interceptors: [
      authorizationInterceptor({
        rules: [
          {
            name: 'say',
            method: '/outrigger.test.Echo/Say',
            allow: [CHECKOUT, 'dns:reporting.internal'],
          },
          { name: 'echo', service: 'outrigger.test.Echo', allow: [CHECKOUT] },
        ],
        events,
      }),
    ],
  });
  s.addService(echoServiceDefinition, {
    Say(call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>, cb: grpc.sendUnaryData<EchoMessage>) {
      handled++;
      cb(null, { text: `ok ${call.request.text}`, n: 1 });
    },
    Count(call: grpc.ServerWritableStream<EchoMessage, EchoMessage>) {
      handled++;
      call.write({ text: 'one', n: 1 });
      call.end();
    },
  });
  // Permissive: a client certificate is asked for, verified when given, not required, so that
  // authorization (not the handshake) is what refuses callers without a trusted one.
  const credentials = grpc.experimental.createCertificateProviderServerCredentials(
    fixed({
      caCertificate: Buffer.from(pki.pem['ca.crt']!),
      certificate: Buffer.from(pki.pem['server.crt']!),
      privateKey: Buffer.from(pki.pem['server.key']!),
    }),
    fixed({
      caCertificate: Buffer.from(pki.pem['ca.crt']!),
      certificate: Buffer.from(pki.pem['server.crt']!),
      privateKey: Buffer.from(pki.pem['server.key']!),
    }),
    false,
  );
  const { address } = await listenGrpc(s, { credentials });
  closers.push(() => s.forceShutdown());
  return { address, handled: () => handled };
}

function caller(address: string, who: string) {
  const cert = certs[who];
  const client = createGrpcClient(Echo, {
    service: `caller-${who}`,
    discovery: [address],
    retry: false,
    credentials: grpc.credentials.createSsl(
      Buffer.from(pki.pem['ca.crt']!),
      cert ? Buffer.from(cert.key) : null,
      cert ? Buffer.from(cert.crt) : null,
    ),
    channelOptions: { 'grpc.ssl_target_name_override': 'localhost' },
  });
  closers.push(() => client.close());
  const c = client as unknown as {
    Say(m: EchoMessage, cb: grpc.requestCallback<EchoMessage>): void;
    Count(m: EchoMessage): grpc.ClientReadableStream<EchoMessage>;
  };
  return {
    say: () =>
      new Promise<number>((resolve) =>
        c.Say({ text: 'hi', n: 0 }, (error) => resolve(error ? error.code : grpc.status.OK)),
      ),
    count: () =>
      new Promise<number>((resolve) => {
        const stream = c.Count({ text: 'hi', n: 1 });
        stream.on('data', () => {});
        stream.on('error', (e: grpc.ServiceError) => resolve(e.code));
        stream.on('end', () => resolve(grpc.status.OK));
      }),
  };
}

describe('authorizationInterceptor (gRPC)', () => {
  it('admits callers by SAN per method and service, and refuses the rest with PERMISSION_DENIED', async () => {
    telemetry = setUpMetrics();
    const events = new EventBus();
    const decisions: Array<[boolean, string, string]> = [];
    const identities: AuthzDecisionEvent['identities'][] = [];
    events.on('authz.allowed', (e) => decisions.push([true, e.rule, e.reason]));
    events.on('authz.denied', (e) => {
      decisions.push([false, e.rule, e.reason]);
      identities.push(e.identities);
    });
    const s = await server(events);
    const { OK, PERMISSION_DENIED } = grpc.status;

    expect(await caller(s.address, 'checkout').say()).toBe(OK);
    expect(await caller(s.address, 'checkout').count()).toBe(OK);
    expect(await caller(s.address, 'reporting').say()).toBe(OK);
    expect(await caller(s.address, 'reporting').count()).toBe(PERMISSION_DENIED);
    expect(await caller(s.address, 'intruder').say()).toBe(PERMISSION_DENIED);
    expect(await caller(s.address, 'anonymous').say()).toBe(PERMISSION_DENIED);
    expect(await caller(s.address, 'forged').say()).toBe(PERMISSION_DENIED);
    expect(s.handled()).toBe(3);

    expect(decisions).toEqual([
      [true, 'say', 'allowed'],
      [true, 'echo', 'allowed'],
      [true, 'say', 'allowed'],
      [false, 'echo', 'not-listed'],
      [false, 'say', 'not-listed'],
      [false, 'say', 'no-identity'],
      [false, 'say', 'no-identity'],
    ]);
    expect(identities).toEqual([['dns:reporting.internal'], [INTRUDER], [], []]);

    const metric = findMetric(await telemetry.collect(), AUTHZ_METRIC);
    const total = metric!.dataPoints.reduce((n, p) => n + (p.value as number), 0);
    expect(total).toBe(7);
    expect(
      metric!.dataPoints.every((p) => p.attributes['outrigger.authz.protocol'] === 'grpc'),
    ).toBe(true);
    expect(JSON.stringify(metric!.dataPoints)).not.toMatch(/spiffe|reporting|\/Say/);
  });

  it('checks its rules at creation', () => {
    expect(() =>
      authorizationInterceptor({ rules: [{ method: 'Say', allow: [CHECKOUT] }] }),
    ).toThrow(/rules\[0\]\.method/);
    expect(() =>
      authorizationInterceptor({ rules: [{ service: 'a.B', method: '/a.B/C', allow: [] }] }),
    ).toThrow(/not both/);
  });
});
