import { describe, expect, it } from 'vitest';
import { createHttpClient } from './client.js';
import { BodyReadable, chunksDecode, isKnownHeaderName, parseHeaders } from './undici-internals.js';

describe("undici's internals that request() reuses", () => {
  it('parses raw headers as undici.request does: lower-cased names, repeats as arrays', () => {
    const raw = ['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'set-cookie', 'b=2'].map((s) =>
      Buffer.from(s),
    );
    expect(parseHeaders(raw)).toEqual({
      'content-type': 'text/plain',
      'set-cookie': ['a=1', 'b=2'],
    });
    expect(parseHeaders([])).toEqual({});
  });

  it('has the body class with the methods users call', async () => {
    const body = new BodyReadable({ resume() {}, abort() {}, contentType: 'application/json' });
    body.push(Buffer.from('{"ok":true}'));
    body.push(null);
    expect(typeof (body as unknown as { dump: unknown }).dump).toBe('function');
    expect(await (body as unknown as { json(): Promise<unknown> }).json()).toEqual({ ok: true });
  });

  it("has the decoder of undici's text() and json(): a byte-order mark skipped, the encoding set", () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const cafe = Buffer.from('café');
    expect(chunksDecode([bom, cafe], bom.length + cafe.length, null)).toBe('café');
    expect(chunksDecode([Buffer.from([0x63, 0xe9])], 2, 'latin1')).toBe('cé');
    expect(chunksDecode([], 0, null)).toBe('');
  });

  it('registers the deadline header as a name undici knows, once a client is made', async () => {
    expect(isKnownHeaderName('x-test-deadline-ms')).toBe(false);
    const client = createHttpClient({
      service: 'known',
      discovery: ['127.0.0.1:1'],
      deadlineHeader: 'X-Test-Deadline-Ms',
    });
    expect(isKnownHeaderName('x-test-deadline-ms')).toBe(true);
    await client.close();
  });
});
