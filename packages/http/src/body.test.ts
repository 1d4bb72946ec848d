import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { prepareBody } from './body.js';

async function collect(body: unknown): Promise<string> {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString();
  const parts: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts).toString();
}

describe('prepareBody', () => {
  it('keeps in-memory bodies as they are, replayable, with fetch content types', () => {
    const text = prepareBody('hi', 10, true);
    expect(text).toEqual({ body: 'hi', replayable: true, contentType: 'text/plain;charset=UTF-8' });
    expect(prepareBody('hi', 10, false)).toMatchObject({ contentType: undefined });
    expect(prepareBody(new URLSearchParams({ a: '1' }), 10, true)).toEqual({
      body: 'a=1',
      replayable: true,
      contentType: 'application/x-www-form-urlencoded;charset=UTF-8',
    });
    expect(prepareBody(null, 10, true)).toMatchObject({ body: null, replayable: true });
  });

  it('encodes FormData as multipart with its boundary', async () => {
    const form = new FormData();
    form.set('field', 'value');
    const prepared = await prepareBody(form, 10, true);
    expect(prepared.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(await collect(prepared.body)).toContain('value');
    expect(prepared.replayable).toBe(true);
  });

  it('buffers a stream that ends within the limit, so it can be replayed', async () => {
    const prepared = await prepareBody(
      Readable.from([Buffer.from('ab'), Buffer.from('cd')]),
      10,
      false,
    );
    expect(prepared.replayable).toBe(true);
    expect(Buffer.isBuffer(prepared.body)).toBe(true);
    expect(await collect(prepared.body)).toBe('abcd');
  });

  it('streams a longer one through once, whole and in order, never replayable', async () => {
    const chunks = ['aaaa', 'bbbb', 'cccc', 'dddd'].map((s) => Buffer.from(s));
    const prepared = await prepareBody(Readable.from(chunks), 6, false);
    expect(prepared.replayable).toBe(false);
    expect(await collect(prepared.body)).toBe('aaaabbbbccccdddd');
  });

  it('reads a web ReadableStream the same way', async () => {
    const web = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode('xy'));
        c.close();
      },
    });
    const prepared = await prepareBody(web, 10, true);
    expect(prepared.replayable).toBe(true);
    expect(await collect(prepared.body)).toBe('xy');
  });

  it('refuses what it cannot send as REQUEST_INVALID, naming it and what would do', () => {
    expect(() => prepareBody(42, 10, true, 'payments')).toThrow(
      expect.objectContaining({
        code: 'REQUEST_INVALID',
        input: 42,
        message: expect.stringMatching(
          /^payments: cannot send a body of \[object Number\]: .*; use a string, bytes,/,
        ),
      }),
    );
  });
});

describe("prepareBody with undici's own FormData", () => {
  it('encodes it too', async () => {
    const { FormData: UndiciFormData } = await import('undici');
    const form = new UndiciFormData();
    form.set('k', 'undici-value');
    const prepared = await prepareBody(form, 10, true);
    expect(prepared.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(await collect(prepared.body)).toContain('undici-value');
  });
});
