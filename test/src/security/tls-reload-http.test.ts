/**
 * mTLS from files with reload, on real sockets: a client's certificate is rotated (the files
 * swapped as Kubernetes swaps a secret volume) while calls run; no call fails, calls already on
 * a connection finish on it with the old certificate, and every connection opened after the
 * reload presents the new one. A bad pair is refused and reported, and the old pair stays.
 */
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { createHttpClient, type HttpClient } from '@outrigger/http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { backend, closeBackends } from '../http/servers.js';
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

let clients: HttpClient[] = [];
afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  clients = [];
  await closeBackends();
});

/** An mTLS server answering with the serial of the certificate the connection presented. */
async function mtlsServer() {
  const server: Server = createServer({
    key: pki.pem['server.key'],
    cert: pki.pem['server.crt'],
    ca: pki.pem['ca.crt'],
    requestCert: true,
    rejectUnauthorized: true,
  });
  const served: string[] = [];
  const b = await backend((req, res) => {
    const presented = (req.socket as TLSSocket).getPeerX509Certificate()!.serialNumber;
    served.push(presented);
    // `/slow` holds its connection across the rotation.
    setTimeout(() => res.end(presented), req.url === '/slow' ? 150 : 0);
  }, server);
  return { ...b, served };
}

function client(
  address: string,
  files: { certFile: string; keyFile: string },
  extra: Partial<Parameters<typeof createHttpClient>[0]> = {},
): HttpClient {
  const c = createHttpClient({
    ...extra,
    service: 'rotating',
    discovery: [address],
    tls: {
      caFile: `${pki.dir}/ca.crt`,
      certFile: files.certFile,
      keyFile: files.keyFile,
      servername: 'localhost',
      reload: { intervalMs: 10 },
    },
  });
  clients.push(c);
  return c;
}

describe('HTTP mTLS certificate reload', () => {
  it('rotates the client certificate mid-traffic without failing a call', async () => {
    const b = await mtlsServer();
    const files = rotatingFiles(pki.dir, first.crt, first.key);
    const c = client(b.address, files);
    const reloaded: (string | undefined)[] = [];
    const rejected: string[] = [];
    c.events.on('tls.reloaded', (e) => reloaded.push(e.serial));
    c.events.on('tls.rejected', (e) => rejected.push(e.reason));

    const statuses: number[] = [];
    const call = async (path = '/') => {
      const res = await c.fetch(path);
      statuses.push(res.status);
      return res.text();
    };
    // Four loops of bounded calls on their own connections, and two slow calls that are on the
    // wire when the files change.
    let rotated = false;
    const loop = async () => {
      for (let i = 0; i < 40; i++) {
        await call();
        if (rotated) break;
      }
    };
    const loops = [loop(), loop(), loop(), loop()];
    await waitFor(() => b.served.length >= 20, 'traffic on the old certificate');
    const slow = [call('/slow'), call('/slow')];
    await waitFor(() => b.served.length >= 22, 'the slow calls to arrive');
    files.swap(second.crt, second.key);
    await waitFor(() => reloaded.length === 1, 'tls.reloaded');
    rotated = true;
    // The slow calls were sent on connections opened with the first certificate and finish there.
    expect(await Promise.all(slow)).toEqual([serial(first), serial(first)]);
    await Promise.all(loops);

    // Connections opened from now on present the new certificate.
    b.server.closeAllConnections();
    const after = await Promise.all([call(), call(), call()]);
    expect(after).toEqual([serial(second), serial(second), serial(second)]);
    expect(reloaded).toEqual([serial(second)]);
    expect(rejected).toEqual([]);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(b.served.slice(0, 20).every((s) => s === serial(first))).toBe(true);
  });

  it('refuses a key that does not match the certificate, reports it once, and keeps the old pair', async () => {
    const b = await mtlsServer();
    const files = rotatingFiles(pki.dir, first.crt, first.key);
    const c = client(b.address, files);
    const rejected: string[] = [];
    const reloaded: (string | undefined)[] = [];
    c.events.on('tls.rejected', (e) => rejected.push(e.reason));
    c.events.on('tls.reloaded', (e) => reloaded.push(e.serial));
    expect(await (await c.fetch('/')).text()).toBe(serial(first));

    files.swap(second.crt, first.key);
    await waitFor(() => rejected.length === 1, 'tls.rejected');
    expect(rejected[0]).toMatch(/is not the private key of/);
    // The reason names the files, never their contents.
    expect(rejected[0]).not.toContain('PRIVATE KEY');
    // New connections still work, with the last good pair.
    b.server.closeAllConnections();
    expect(await (await c.fetch('/')).text()).toBe(serial(first));
    // Reported once, not on every poll (six more polls at 10 ms).
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(rejected).toHaveLength(1);

    // A good pair afterwards is taken.
    files.swap(second.crt, second.key);
    await waitFor(() => reloaded.length === 1, 'tls.reloaded');
    b.server.closeAllConnections();
    expect(await (await c.fetch('/')).text()).toBe(serial(second));
  });

  it('reports reloads, refusals and the certificate expiry as metrics', async () => {
    const metrics = setUpMetrics({ global: false });
    const points = async (name: string) =>
      (findMetric(await metrics.collect(), name)?.dataPoints ?? []).map((p) => ({
        value: p.value as number,
        attributes: p.attributes,
      }));
    try {
      const b = await mtlsServer();
      const files = rotatingFiles(pki.dir, first.crt, first.key);
      const c = client(b.address, files, { meterProvider: metrics.provider });
      const reloaded: unknown[] = [];
      const rejected: unknown[] = [];
      c.events.on('tls.reloaded', (e) => reloaded.push(e));
      c.events.on('tls.rejected', (e) => rejected.push(e));

      // From the files read at start: no reload counted, the expiry of the pair in use.
      const [atStart] = await points('outrigger.client.tls.certificate.expiry');
      expect(atStart?.attributes).toEqual({ 'outrigger.service': 'rotating' });
      expect(Math.abs(atStart!.value - secondsToExpiry(first))).toBeLessThan(5);
      expect(await points('outrigger.client.tls.reloads')).toEqual([]);

      files.swap(second.crt, first.key);
      await waitFor(() => rejected.length === 1, 'tls.rejected');
      files.swap(second.crt, second.key);
      await waitFor(() => reloaded.length === 1, 'tls.reloaded');
      const counted = await points('outrigger.client.tls.reloads');
      expect(counted.map((p) => [p.attributes['outrigger.tls.outcome'], p.value]).sort()).toEqual([
        ['rejected', 1],
        ['reloaded', 1],
      ]);
      const [afterReload] = await points('outrigger.client.tls.certificate.expiry');
      expect(Math.abs(afterReload!.value - secondsToExpiry(second))).toBeLessThan(5);

      // Observed at each collection while the client is open (the seconds left shrink), not
      // once it has closed (the SDK repeats the last value).
      const later = async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return (await points('outrigger.client.tls.certificate.expiry'))[0]!.value;
      };
      expect(await later()).toBeLessThan(afterReload!.value);
      await c.close();
      clients = [];
      const atClose = await later();
      expect(await later()).toBe(atClose);
    } finally {
      await metrics.shutdown();
    }
  });

  it('stops polling the files on close', async () => {
    const b = await mtlsServer();
    const files = rotatingFiles(pki.dir, first.crt, first.key);
    const c = client(b.address, files);
    const reloaded: unknown[] = [];
    c.events.on('tls.reloaded', (e) => reloaded.push(e));
    await c.fetch('/');
    await c.close();
    clients = [];
    files.swap(second.crt, second.key);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(reloaded).toEqual([]);
  });
});
