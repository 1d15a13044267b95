/**
 * Versioned assignment hash. `HASH_VERSION` is recorded with every bucket table; a future hash
 * gets a new version instead of replacing this one, so an upgrade never reshuffles units.
 */
export const HASH_VERSION = "murmur3-32/v1";

/** Buckets per table: 0.01 % granularity. */
export const BUCKETS = 10_000;

/** MurmurHash3 x86 32-bit over the UTF-8 bytes of `text`. */
export function murmur3(text: string, seed = 0): number {
  const bytes = utf8(text);
  const length = bytes.length;
  let h = seed >>> 0;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = (bytes[i] as number) | ((bytes[i + 1] as number) << 8) | ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = length & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= (bytes[blocks + 2] as number) << 16;
    if (tail >= 2) k ^= (bytes[blocks + 1] as number) << 8;
    k ^= bytes[blocks] as number;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The bucket of a unit within an experiment: the salt (the experiment id) makes buckets
 * independent across experiments, so a unit is not always the first to get a candidate.
 */
export function bucketOf(unit: string, salt: string): number {
  return murmur3(`${salt}\u0000${unit}`) % BUCKETS;
}

const ENCODER = new TextEncoder();

function utf8(text: string): ArrayLike<number> {
  // Unit ids are nearly always ASCII: read char codes directly and skip the encoder.
  // TextEncoder, not Buffer: the SDK runs this in browsers too.
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return ENCODER.encode(text);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
