import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { Pool } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { backend, trackedClients } from './servers.js';

const client = trackedClients();
const pools: Pool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

type Body = Readable & {
  text(): Promise<string>;
  json(): Promise<unknown>;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes(): Promise<Uint8Array>;
  blob(): Promise<Blob>;
  dump(): Promise<null>;
  readonly bodyUsed: boolean;
  readonly body: ReadableStream;
};
type Read = (body: Body) => Promise<unknown>;

/** The same request through raw `undici.request` and through Outrigger's `request()`. */
async function bothSides(answer: (res: ServerResponse) => void) {
  const b = await backend((_req, res) => answer(res));
  const pool = new Pool(`http://${b.address}`);
  pools.push(pool);
  const c = client({ service: 'whole', discovery: [b.address] });
  return {
    raw: async () => (await pool.request({ path: '/', method: 'GET' })).body as unknown as Body,
    ours: async () => (await c.request('/')).body as unknown as Body,
  };
}

/** What a read gave, comparable across the two sides. */
async function outcome(body: Body, read: Read) {
  try {
    const value = await read(body);
    if (value instanceof ArrayBuffer) return { value: [...new Uint8Array(value)], ab: true };
    if (value instanceof Uint8Array) return { value: [...value], u8: true };
    if (value instanceof Blob) return { value: await value.text(), type: value.type };
    return { value };
  } catch (error) {
    return { error: (error as Error).name, message: (error as Error).message };
  }
}

const closed = (body: Readable) =>
  body.closed ? Promise.resolve() : new Promise<void>((resolve) => body.once('close', resolve));

describe('request() whole-body reads answer as undici.request', () => {
  const reads: [string, Read][] = [
    ['text', (b) => b.text()],
    ['json', (b) => b.json()],
    ['arrayBuffer', (b) => b.arrayBuffer()],
    ['bytes', (b) => b.bytes()],
    ['blob', (b) => b.blob()],
  ];
  for (const [name, read] of reads) {
    it(`${name}() of a body that has all arrived: the same value, read from the buffer, and the stream ends`, async () => {
      // A byte-order mark, which text() and json() skip.
      const payload = Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from('{"a":[1,"é"]}'),
      ]);
      const { raw, ours } = await bothSides((res) => {
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': payload.length,
        });
        res.end(payload);
      });
      const theirs = await raw();
      const mine = await ours();
      const expected = await outcome(theirs, read);
      expect(expected.value).toBeDefined();
      expect(await outcome(mine, read)).toEqual(expected);
      // Taken from the buffer with one read: the stream never flowed (undici's read resumes it).
      expect(mine.readableFlowing).toBeNull();
      expect(theirs.readableFlowing).toBe(true);
      // Ended and closed as a stream read to its end is, and used: a second read is refused.
      await Promise.all([closed(mine), closed(theirs)]);
      expect([mine.readableEnded, mine.destroyed, mine.bodyUsed]).toEqual([true, true, true]);
      // undici's second read fails an internal assertion; the fetch standard's answer is this.
      expect(await outcome(mine, read)).toEqual({ error: 'TypeError', message: 'unusable' });
    });
  }

  it('reads a body still coming when text() is called, and one read in several chunks', async () => {
    const { raw, ours } = await bothSides((res) => {
      res.write('first ');
      setTimeout(() => res.end('and last'), 20);
    });
    for (const side of [raw, ours]) {
      const body = await side();
      expect(await body.text()).toBe('first and last');
    }
  });

  it('a body the stream has touched (paused, read, or exposed as a web stream) is read as undici reads it', async () => {
    const { raw, ours } = await bothSides((res) => res.end('touched'));
    const touches: [string, (b: Body) => unknown][] = [
      ['paused', (b) => b.pause()],
      ['read a little', (b) => b.read(3)],
      ['web stream', (b) => b.body],
      ['web stream locked', (b) => b.body.getReader()],
    ];
    for (const [, touch] of touches) {
      const theirs = await raw();
      const mine = await ours();
      touch(theirs);
      touch(mine);
      expect(await outcome(mine, (b) => b.text())).toEqual(await outcome(theirs, (b) => b.text()));
      // Read by undici's read, as theirs: a paused stream flowed again, not taken from the buffer.
      expect(mine.readableFlowing).toBe(theirs.readableFlowing);
    }
  });

  it('json() of a body that does not parse rejects as undici does, and destroys the stream', async () => {
    const { raw, ours } = await bothSides((res) => res.end('{"not json'));
    const theirs = await raw();
    const mine = await ours();
    const expected = await outcome(theirs, (b) => b.json());
    expect(expected.error).toBe('SyntaxError');
    expect(await outcome(mine, (b) => b.json())).toEqual(expected);
    await closed(mine);
    expect(mine.destroyed).toBe(true);
  });

  it('text() honours setEncoding as undici does', async () => {
    const { raw, ours } = await bothSides((res) => res.end(Buffer.from([0x63, 0x61, 0x66, 0xe9])));
    const theirs = await raw();
    const mine = await ours();
    theirs.setEncoding('latin1');
    mine.setEncoding('latin1');
    expect(await mine.text()).toBe(await theirs.text());
    expect(mine.readableFlowing).toBeNull();
  });

  it('an empty body reads as empty, and a stream read still gets every byte', async () => {
    const { raw, ours } = await bothSides((res) => {
      res.statusCode = 204;
      res.end();
    });
    expect(await outcome(await ours(), (b) => b.text())).toEqual(
      await outcome(await raw(), (b) => b.text()),
    );
    expect(await (await ours()).dump()).toBe(await (await raw()).dump());

    const chunked = await bothSides((res) => {
      res.write('a'.repeat(1000));
      res.end('b'.repeat(1000));
    });
    const mine = await chunked.ours();
    let bytes = 0;
    for await (const part of mine) bytes += (part as Buffer).length;
    expect(bytes).toBe(2000);
  });
});
