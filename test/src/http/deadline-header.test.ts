/**
 * The deadline header never lands on a header that means something else.
 * With `deadlineHeader: 'authorization'` a caller's bearer token used to arrive as `10000`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { OutriggerError } from '@outrigger/core';
import { createHttpClient } from '@outrigger/http';
import { describe, expect, it } from 'vitest';
import { backend, trackedClients } from './servers.js';

const client = trackedClients();

/** A backend that answers with the headers it received, as JSON. */
async function echoHeaders() {
  return backend((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(req.headers));
  });
}

describe('deadline header on real sockets', () => {
  it('leaves the Authorization header intact and sends the deadline beside it', async () => {
    const b = await echoHeaders();
    const c = client({ service: 'auth', discovery: [b.address], timeout: { totalMs: 2_000 } });
    const viaFetch = (await (
      await c.fetch('/', { headers: { Authorization: 'Bearer abc.def' } })
    ).json()) as IncomingHttpHeaders;
    expect(viaFetch.authorization).toBe('Bearer abc.def');
    expect(Number(viaFetch['outrigger-timeout-ms'])).toBeGreaterThan(1_000);
    const viaRequest = (await (
      await c.request('/', { headers: { authorization: 'Bearer abc.def' } })
    ).body.json()) as IncomingHttpHeaders;
    expect(viaRequest.authorization).toBe('Bearer abc.def');
  });

  it("never overwrites the caller's own value of the deadline header's name", async () => {
    const b = await echoHeaders();
    // A name of the caller's own that is not reserved, which the caller also uses for a secret.
    const c = client({
      service: 'keyed',
      discovery: [b.address],
      timeout: { totalMs: 2_000 },
      deadlineHeader: 'x-api-key',
    });
    const keyed = (await (
      await c.fetch('/', { headers: { 'X-Api-Key': 'k-123' } })
    ).json()) as IncomingHttpHeaders;
    expect(keyed['x-api-key']).toBe('k-123');
    const sent = (await (
      await c.request('/', { headers: { 'x-api-key': 'k-123' } })
    ).body.json()) as IncomingHttpHeaders;
    expect(sent['x-api-key']).toBe('k-123');
    // Without a value of the caller's, the header carries the deadline.
    const plain = (await (await c.fetch('/')).json()) as IncomingHttpHeaders;
    expect(Number(plain['x-api-key'])).toBeGreaterThan(1_000);
  });

  it("keeps the earlier of the caller's deadline and the call's", async () => {
    const b = await echoHeaders();
    const c = client({ service: 'nested', discovery: [b.address], timeout: { totalMs: 2_000 } });
    const earlier = (await (
      await c.fetch('/', { headers: { 'outrigger-timeout-ms': '300' } })
    ).json()) as IncomingHttpHeaders;
    expect(earlier['outrigger-timeout-ms']).toBe('300');
    const later = (await (
      await c.fetch('/', { headers: { 'outrigger-timeout-ms': '60000' } })
    ).json()) as IncomingHttpHeaders;
    expect(Number(later['outrigger-timeout-ms'])).toBeLessThanOrEqual(2_000);
  });

  it('refuses authorization, host, :path and te as the deadline header with CONFIG_INVALID', () => {
    for (const deadlineHeader of ['authorization', 'host', ':path', 'te']) {
      let thrown: unknown;
      try {
        createHttpClient({
          service: 'refused',
          discovery: ['127.0.0.1:1'],
          deadlineHeader,
        }).close();
      } catch (error) {
        thrown = error;
      }
      expect(thrown, deadlineHeader).toBeInstanceOf(OutriggerError);
      expect((thrown as OutriggerError).code).toBe('CONFIG_INVALID');
      expect((thrown as Error).message).toContain(
        `refused: option deadlineHeader="${deadlineHeader}" is not valid: expected a header name of your own`,
      );
    }
  });
});
