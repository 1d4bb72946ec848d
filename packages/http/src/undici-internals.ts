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

export const BodyReadable: BodyReadableClass = (
  require('undici/lib/api/readable.js') as { Readable: BodyReadableClass }
).Readable;

/** Raw `[name, value, ...]` (Buffers or strings) to Node-style headers, as undici.request does. */
export const parseHeaders: (raw: Buffer[] | string[]) => IncomingHttpHeaders = (
  require('undici/lib/core/util.js') as {
    parseHeaders(raw: Buffer[] | string[]): IncomingHttpHeaders;
  }
).parseHeaders;
