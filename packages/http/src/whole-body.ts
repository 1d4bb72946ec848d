import { chunksDecode } from './undici-internals.js';

/** The ways undici's body reads a whole body: `text()`, `json()`, `arrayBuffer()`, ... */
export type WholeKind = 'text' | 'json' | 'arrayBuffer' | 'bytes' | 'blob';

/**
 * A whole body as `kind`, converted as undici's body converts it (its `text()` and `json()`
 * decoder itself), so a body read either way gives the same value. Throws what `JSON.parse`
 * throws.
 */
export function wholeValue(
  kind: WholeKind,
  bytes: Buffer,
  encoding: BufferEncoding | null,
  contentType: string,
): unknown {
  switch (kind) {
    case 'text':
      return chunksDecode([bytes], bytes.length, encoding);
    case 'json':
      return JSON.parse(chunksDecode([bytes], bytes.length, encoding));
    // Copies of their own: `bytes` may be a view of a socket's read buffer or of a pooled slab.
    case 'arrayBuffer':
      return new Uint8Array(bytes).buffer;
    case 'bytes':
      return new Uint8Array(bytes);
    case 'blob':
      return new Blob([bytes], { type: contentType });
  }
}
