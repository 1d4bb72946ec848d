import { Readable } from 'node:stream';
import { RequestInvalidError } from '@outrigger/core';
import { FormData as UndiciFormData, Response as UndiciResponse } from 'undici';
import type { WireBody } from './outbound.js';

/** A request body made ready to send, and whether it can be sent again on a retry. */
export interface PreparedBody {
  readonly body: WireBody;
  readonly replayable: boolean;
  /** The content type fetch implies for this body kind (set only if the caller set none). */
  readonly contentType: string | undefined;
}

const EMPTY: PreparedBody = { body: null, replayable: true, contentType: undefined };

/**
 * Turns what a caller passed as a body into something undici sends. In-memory bodies are
 * replayable as they are. A stream is read into memory up to `maxReplayBytes`: if it ends
 * within that, it is replayable too; if not, what was read and the rest go out as one stream,
 * once, and the call is not retried (Envoy's per-request buffer limit, docs/decisions/0032).
 *
 * Synchronous for in-memory bodies (the common case); a promise only for streams and for
 * Blob/FormData, whose bytes come out asynchronously.
 */
export function prepareBody(
  body: unknown,
  maxReplayBytes: number,
  fetchTypes: boolean,
  service = 'client',
): PreparedBody | Promise<PreparedBody> {
  if (body === null || body === undefined) return EMPTY;
  if (typeof body === 'string') {
    return {
      body,
      replayable: true,
      contentType: fetchTypes ? 'text/plain;charset=UTF-8' : undefined,
    };
  }
  if (body instanceof Uint8Array) return { body, replayable: true, contentType: undefined };
  if (body instanceof ArrayBuffer) {
    return { body: Buffer.from(body), replayable: true, contentType: undefined };
  }
  if (ArrayBuffer.isView(body)) {
    const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    return { body: bytes, replayable: true, contentType: undefined };
  }
  if (body instanceof URLSearchParams) {
    return {
      body: body.toString(),
      replayable: true,
      contentType: 'application/x-www-form-urlencoded;charset=UTF-8',
    };
  }
  if (isBlobOrFormData(body)) return viaResponse(body);
  const iterable = asAsyncIterable(body);
  if (iterable) return bufferForReplay(iterable, maxReplayBytes);
  throw new RequestInvalidError({
    service,
    input: body,
    what: `cannot send a body of ${Object.prototype.toString.call(body)}`,
    problem: 'that is not a request body this client can send',
    fix:
      'use a string, bytes, URLSearchParams, Blob, FormData, a ReadableStream, a Readable or an ' +
      'async iterable (JSON.stringify an object first)',
  });
}

function isBlobOrFormData(body: object): body is Blob | FormData {
  const tag = (body as { [Symbol.toStringTag]?: string })[Symbol.toStringTag];
  return tag === 'Blob' || tag === 'File' || tag === 'FormData';
}

/**
 * Blob and FormData: fetch's own encoder gives the bytes and the multipart boundary. The encoder
 * must come from the same fetch implementation as the FormData (Node's global one and undici's
 * do not recognise each other's), so undici's FormData goes to undici's Response.
 */
async function viaResponse(body: Blob | FormData): Promise<PreparedBody> {
  const Encoder = body instanceof UndiciFormData ? UndiciResponse : globalThis.Response;
  const encoded = new Encoder(body as ConstructorParameters<typeof UndiciResponse>[0]);
  const bytes = Buffer.from(await encoded.arrayBuffer());
  return {
    body: bytes,
    replayable: true,
    contentType: encoded.headers.get('content-type') ?? undefined,
  };
}

function asAsyncIterable(body: object): AsyncIterable<unknown> | undefined {
  if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    return body as AsyncIterable<unknown>;
  }
  // A web ReadableStream without async iteration (older runtimes): read it through a reader.
  if (typeof (body as ReadableStream).getReader === 'function') {
    return Readable.fromWeb(body as import('node:stream/web').ReadableStream);
  }
  return undefined;
}

function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk);
  if (ArrayBuffer.isView(chunk))
    return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer) return Buffer.from(chunk);
  throw new TypeError(`a request body stream yielded ${typeof chunk}; expected bytes or strings`);
}

async function bufferForReplay(
  source: AsyncIterable<unknown>,
  maxReplayBytes: number,
): Promise<PreparedBody> {
  // The iterator is driven by hand: `for await` with `break` would destroy the stream.
  const iterator = source[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let size = 0;
  while (size <= maxReplayBytes) {
    const next = await iterator.next();
    if (next.done) {
      return { body: Buffer.concat(head, size), replayable: true, contentType: undefined };
    }
    const bytes = toBytes(next.value);
    head.push(bytes);
    size += bytes.length;
  }
  return { body: rest(head, iterator), replayable: false, contentType: undefined };
}

async function* rest(
  head: Uint8Array[],
  iterator: AsyncIterator<unknown>,
): AsyncGenerator<Uint8Array> {
  yield* head;
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    yield toBytes(next.value);
  }
}
