/**
 * Inbound authorization by mTLS peer identity for `node:https` servers, on real sockets with
 * client certificates carrying SPIFFE URI SANs and DNS SANs: the first rule matching path and
 * method decides; a caller it does not list, a caller with no certificate, and a caller whose
 * certificate claims an allowed identity but was not issued by the trusted CA get 403 and never
 * reach the handler; every decision is an event and a low-cardinality metric point.
 */
import { connect as connectHttp2, createSecureServer } from 'node:http2';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { AUTHZ_METRIC, type AuthzDecisionEvent, EventBus } from '@outrigger/core';
import {
  authorizationMiddleware,
  authorizeInbound,
  createHttpClient,
  type HttpAuthorizationOptions,
  type HttpClient,
} from '@outrigger/http';
import { Client } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { backend, closeBackends } from '../http/servers.js';
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
  certs.reporting = pki.issue('reporting', { san: 'DNS:Reporting.Internal', usage: 'clientAuth' });
  // Claims the allowed identity, but no trusted CA signed it.
  certs.forged = pki.issue('forged', {
    san: `URI:${CHECKOUT}`,
    usage: 'clientAuth',
    selfSigned: true,
  });
});
afterAll(() => pki.remove());

let clients: Array<HttpClient | Client> = [];
let telemetry: Metrics | undefined;
afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  clients = [];
  await closeBackends();
  await telemetry?.shutdown();
  telemetry = undefined;
});

const RULES: HttpAuthorizationOptions['rules'] = [
  { name: 'health', path: { exact: '/health' }, allow: ['*'] },
  {
    name: 'charges-read',
    path: { prefix: '/charges/' },
    methods: ['GET', 'HEAD'],
    allow: [CHECKOUT, 'dns:reporting.internal'],
  },
  { name: 'charges-write', path: { prefix: '/charges/' }, methods: ['POST'], allow: [CHECKOUT] },
];

/**
 * Asks for a client certificate but does not refuse the handshake without a trusted one, so
 * that the authorization layer (not TLS) is what turns such callers away, as behind a
 * permissive-mode mesh.
 */
function tlsServer(): Server {
  return createServer({
    key: pki.pem['server.key'],
    cert: pki.pem['server.crt'],
    ca: pki.pem['ca.crt'],
    requestCert: true,
    rejectUnauthorized: false,
  });
}

function caller(address: string, who: keyof typeof certs | 'anonymous'): HttpClient {
  const c = createHttpClient({
    service: `caller-${who}`,
    discovery: [address],
    retry: false,
    tls: {
      ca: pki.pem['ca.crt']!,
      servername: 'localhost',
      ...(who !== 'anonymous' && { cert: certs[who]!.crt, key: certs[who]!.key }),
    },
  });
  clients.push(c);
  return c;
}

describe('authorizeInbound (HTTP)', () => {
  it('admits callers by SAN per route and method, and refuses the rest with 403', async () => {
    telemetry = setUpMetrics();
    const events = new EventBus();
    const decisions: Array<{ allowed: boolean } & AuthzDecisionEvent> = [];
    events.on('authz.allowed', (e) => decisions.push({ allowed: true, ...e }));
    events.on('authz.denied', (e) => decisions.push({ allowed: false, ...e }));
    let handled = 0;
    const b = await backend(
      authorizeInbound(
        (_req, res) => {
          handled++;
          res.end('ok');
        },
        { rules: RULES, events },
      ),
      tlsServer(),
    );
    const status = async (who: Parameters<typeof caller>[1], path: string, method = 'GET') =>
      (await caller(b.address, who).fetch(path, { method })).status;

    expect(await status('checkout', '/charges/42')).toBe(200);
    expect(await status('checkout', '/charges/42', 'POST')).toBe(200);
    expect(await status('reporting', '/charges/42')).toBe(200); // DNS SAN, case-insensitive
    expect(await status('reporting', '/charges/42', 'POST')).toBe(403);
    expect(await status('intruder', '/charges/42')).toBe(403);
    expect(await status('anonymous', '/charges/42')).toBe(403);
    expect(await status('forged', '/charges/42')).toBe(403);
    expect(await status('intruder', '/health')).toBe(200); // any verified caller
    expect(await status('anonymous', '/health')).toBe(403);
    expect(await status('checkout', '/refunds/1')).toBe(403); // no rule: default deny
    expect(handled).toBe(4);

    expect(decisions.map((d) => [d.allowed, d.rule, d.reason, d.target])).toEqual([
      [true, 'charges-read', 'allowed', 'GET /charges/42'],
      [true, 'charges-write', 'allowed', 'POST /charges/42'],
      [true, 'charges-read', 'allowed', 'GET /charges/42'],
      [false, 'charges-write', 'not-listed', 'POST /charges/42'],
      [false, 'charges-read', 'not-listed', 'GET /charges/42'],
      [false, 'charges-read', 'no-identity', 'GET /charges/42'],
      [false, 'charges-read', 'no-identity', 'GET /charges/42'],
      [true, 'health', 'allowed', 'GET /health'],
      [false, 'health', 'no-identity', 'GET /health'],
      [false, 'default', 'default', 'GET /refunds/1'],
    ]);
    expect(decisions[0]!.identities).toEqual([CHECKOUT]);
    expect(decisions[2]!.identities).toEqual(['dns:reporting.internal']);
    // The forged certificate's identity is never read: the TLS server did not verify it.
    expect(decisions[6]!.identities).toEqual([]);

    const metric = findMetric(await telemetry.collect(), AUTHZ_METRIC);
    const points = metric!.dataPoints.map((p) => ({ ...p.attributes, value: p.value }));
    expect(points).toContainEqual({
      'outrigger.authz.decision': 'deny',
      'outrigger.authz.rule': 'charges-read',
      'outrigger.authz.reason': 'no-identity',
      'outrigger.authz.protocol': 'http',
      value: 2,
    });
    expect(points.reduce((n, p) => n + (p.value as number), 0)).toBe(10);
    // Low cardinality: no identity, path or method in the attributes.
    expect(JSON.stringify(points)).not.toMatch(/spiffe|reporting|charges\/42|GET/);
  });

  it('refuses a path a router could resolve differently from the rule (dot segments, encoded slashes)', async () => {
    let handled = 0;
    const denied: AuthzDecisionEvent[] = [];
    const events = new EventBus();
    events.on('authz.denied', (e) => denied.push(e));
    const b = await backend(
      authorizeInbound(
        (_req, res) => {
          handled++;
          res.end('ok');
        },
        { rules: [{ path: { prefix: '/public/' }, allow: ['*'] }], default: 'deny', events },
      ),
      tlsServer(),
    );
    const raw = new Client(`https://${b.address}`, {
      connect: {
        ca: pki.pem['ca.crt'],
        cert: certs.checkout!.crt,
        key: certs.checkout!.key,
        servername: 'localhost',
      },
    });
    clients.push(raw);
    const get = async (path: string) => {
      const res = await raw.request({ path, method: 'GET' });
      await res.body.dump();
      return res.statusCode;
    };
    expect(await get('/public/a?x=1')).toBe(200);
    for (const path of [
      '/public/../admin',
      '/public/%2e%2e/admin',
      '/public/..%2fadmin',
      '/public//admin',
      '/public/.%2E/admin',
    ]) {
      expect(await get(path)).toBe(403);
    }
    expect(handled).toBe(1);
    expect(denied.map((d) => d.reason)).toEqual(Array(5).fill('non-canonical-path'));
  });

  it('works as connect-style middleware and with default: allow for unmatched routes', async () => {
    const mw = authorizationMiddleware({
      rules: [{ path: { prefix: '/admin/' }, allow: [CHECKOUT] }],
      default: 'allow',
    });
    const b = await backend((req, res) => {
      mw(req, res, () => res.end('through'));
    }, tlsServer());
    expect((await caller(b.address, 'anonymous').fetch('/open')).status).toBe(200);
    expect((await caller(b.address, 'intruder').fetch('/admin/x')).status).toBe(403);
    const ok = await caller(b.address, 'checkout').fetch('/admin/x');
    expect(await ok.text()).toBe('through');
  });

  it('works on a node:http2 secure server (compatibility API) too', async () => {
    const server = createSecureServer(
      {
        key: pki.pem['server.key'],
        cert: pki.pem['server.crt'],
        ca: pki.pem['ca.crt'],
        requestCert: true,
        rejectUnauthorized: false,
      },
      authorizeInbound((_req, res) => res.end('ok'), { rules: [{ allow: [CHECKOUT] }] }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const status = (who?: Issued) =>
      new Promise<number>((resolve, reject) => {
        const session = connectHttp2(`https://127.0.0.1:${port}`, {
          ca: pki.pem['ca.crt'],
          servername: 'localhost',
          ...(who && { cert: who.crt, key: who.key }),
        });
        const req = session.request({ ':path': '/x' });
        req.on('response', (headers) => resolve(headers[':status'] as number));
        req.on('error', reject);
        req.resume();
        req.on('end', () => session.close());
        req.end();
      });
    try {
      expect(await status(certs.checkout)).toBe(200);
      expect(await status(certs.intruder)).toBe(403);
      expect(await status()).toBe(403);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('checks its rules at creation and names the bad entry', () => {
    const handler = () => undefined;
    expect(() => authorizeInbound(handler, { rules: [{ allow: ['payments.internal'] }] })).toThrow(
      /rules\[0\]\.allow\[0\].*dns:payments\.internal/,
    );
    expect(() =>
      authorizeInbound(handler, { rules: [{ path: { prefix: 'admin' }, allow: [] }] }),
    ).toThrow(/rules\[0\]\.path/);
    expect(() => authorizeInbound(handler, { rules: [], default: 'permit' as 'allow' })).toThrow(
      /default/,
    );
  });
});
