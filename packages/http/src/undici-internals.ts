import type { IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';

/**
 * The two pieces of undici that `client.request()` reuses so that it answers exactly as
 * `undici.request()` does, though undici's index exports neither: its response body class
 * (`text()`, `json()`, `dump()`, streaming, backpressure; docs/decisions/0033) and its parser of
 * raw header lists (lower-cased names, repeats as arrays; docs/decisions/0035). Hence the deep
 * requires, safe because undici is pinned to an exact version; `undici-internals.test.ts`
 * checks both are there and behave as relied on.
 */
const require = createRequire(import.meta.url);

/** Typed as a plain Readable for subclassing; the facade hands it out as undici's body type. */
export type BodyReadableType = Readable;

export interface BodyReadableClass {
  new (options: {
    resume: (this: unknown) => void;
    abort: () => void;
    contentType?: string;
    /** Anything but a finite number means unknown. */
    contentLength?: number | undefined;
    highWaterMark?: number;
  }): BodyReadableType;
}

const readable = require('undici/lib/api/readable.js') as {
  Readable: BodyReadableClass;
  chunksDecode(chunks: Buffer[], length: number, encoding: BufferEncoding | null): string;
};

export const BodyReadable: BodyReadableClass = readable.Readable;

/**
 * How undici's `text()` and `json()` decode a body's chunks: UTF-8 unless `setEncoding` said
 * otherwise, a leading byte-order mark skipped.
 */
export const chunksDecode = readable.chunksDecode;

/** Raw `[name, value, ...]` (Buffers or strings) to Node-style headers, as undici.request does. */
export const parseHeaders: (raw: Buffer[] | string[]) => IncomingHttpHeaders = (
  require('undici/lib/core/util.js') as {
    parseHeaders(raw: Buffer[] | string[]): IncomingHttpHeaders;
  }
).parseHeaders;

/**
 * undici's table of header names it knows, read for every header of every request: a name in it
 * skips lower-casing and the token check (a regular expression for names of 12 characters or
 * more, ~50 ns per request for the deadline header). The deadline header's name is validated as
 * a token and lower-cased by our options, so it can be registered as known; the table maps each
 * known name to its lower-cased form, which for ours is itself.
 */
const knownHeaderNames = (
  require('undici/lib/core/constants.js') as {
    headerNameLowerCasedRecord: Record<string, string | undefined>;
  }
).headerNameLowerCasedRecord;

/** Registers a lower-cased, already validated header name as one undici knows. */
export function registerHeaderName(lower: string): void {
  knownHeaderNames[lower] ??= lower;
}

/** Whether undici treats `name` as a known header (for the test of the above). */
export function isKnownHeaderName(name: string): boolean {
  return knownHeaderNames[name] !== undefined;
}
