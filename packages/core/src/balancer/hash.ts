/**
 * MurmurHash3 (x86, 32-bit) over a string's UTF-16 code units. Consistent hashing needs the same
 * key to land on the same endpoint in every process of a fleet, so the function is fixed here
 * rather than left to the engine (`Math.random`-seeded string hashes differ per process).
 */
export function hashString(text: string, seed = 0): number {
  let h = seed >>> 0;
  const length = text.length;
  const pairs = length & ~1;
  for (let i = 0; i < pairs; i += 2) {
    let k = text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (length & 1) {
    let k = text.charCodeAt(length - 1);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= length * 2;
  return mix32(h);
}

/** Murmur3's finaliser: spreads every input bit over the 32 output bits. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
