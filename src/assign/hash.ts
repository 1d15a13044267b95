/**
 * Versioned assignment hash. `HASH_VERSION` is recorded with every bucket table; a future hash
 * gets a new version instead of replacing this one, so an upgrade never reshuffles units.
 */
export const HASH_VERSION = "murmur3-32/v1";

/** Buckets per table: 0.01 % granularity. */
export const BUCKETS = 10_000;

/** MurmurHash3 x86 32-bit over the UTF-8 bytes of `text`. */
export function murmur3(text: string, seed = 0): number {
  return murmur3Bytes(utf8(text), seed);
}

function murmur3Bytes(bytes: ArrayLike<number>, seed = 0): number {
  const length = bytes.length;
  let h = seed >>> 0;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) h = mixBlock(h, (bytes[i] as number) | ((bytes[i + 1] as number) << 8) | ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24));
  const tail = length & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= (bytes[blocks + 2] as number) << 16;
    if (tail >= 2) k ^= (bytes[blocks + 1] as number) << 8;
    k ^= bytes[blocks] as number;
    h = mixTail(h, k);
  }
  return finish(h, length);
}

/**
 * The bucket of a unit within an experiment: the salt (the experiment id) makes buckets
 * independent across experiments, so a unit is not always the first to get a candidate.
 */
export function bucketOf(unit: string, salt: string): number {
  return murmur3(`${salt}\u0000${unit}`) % BUCKETS;
}

/**
 * What every unit's key of an experiment starts with (`${salt}\u0000`), prepared once for
 * bucketOfKeyed: the hash state after its whole 4-byte blocks, and the bytes left over.
 */
export interface SaltPrefix {
  readonly bytes: Uint8Array;
  readonly state: number;
  /** The same state from FINGERPRINT_SEED (the fingerprint's second half). */
  readonly state2: number;
  readonly rest: readonly number[];
}

/** Seed of the second half of a unit's fingerprint: another MurmurHash3 of the same key. */
const FINGERPRINT_SEED = 0x9747b28c;

/**
 * The 64-bit fingerprint of the unit last assigned by bucketOfKeyed: MurmurHash3 of its key
 * (the bucket's own hash, whole) and of the same key from another seed. Read it right after the
 * call. Two units share one with probability 2^-64: the SDK remembers units by it, in typed
 * arrays, instead of by their strings (sdk/unit-memory.ts). Signed 32-bit halves: V8 passes
 * them around as small integers, where unsigned ones above 2^31 would be boxed numbers.
 */
export const FINGERPRINT = new Int32Array(2);

export function saltPrefix(salt: string): SaltPrefix {
  const bytes = Uint8Array.from(utf8(`${salt}\u0000`));
  const whole = bytes.length & ~3;
  let h = 0;
  let g = FINGERPRINT_SEED;
  for (let i = 0; i < whole; i += 4) {
    const k = (bytes[i] as number) | ((bytes[i + 1] as number) << 8) | ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24);
    h = mixBlock(h, k);
    g = mixBlock(g, k);
  }
  return { bytes, state: h, state2: g, rest: Array.from(bytes.subarray(whole)) };
}

/** One 4-byte block into the hash state. */
function mixBlock(h: number, k: number): number {
  h = mixTail(h, k);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** The last 1-3 bytes into the hash state (the first half of a block's mix). */
function mixTail(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  return h ^ k;
}

/**
 * bucketOf(unit, salt) with the salt prepared once (saltPrefix): the prefix's whole blocks are
 * hashed already, and an ASCII unit id is read in place — no joined string and no byte array
 * per call, as the SDK assigns in process on every evaluation. tests/unit/assign.test.ts checks
 * it against bucketOf.
 */
export function bucketOfKeyed(unit: string, prefix: SaltPrefix): number {
  const n = unit.length;
  const rest = prefix.rest;
  const r = rest.length;
  let h = prefix.state;
  let g = prefix.state2;
  let high = 0;
  // The prefix's 0-3 leftover bytes and the unit's first characters make one block, or the tail.
  let k = 0;
  let filled = r;
  for (let j = 0; j < r; j++) k |= (rest[j] as number) << (8 * j);
  let i = 0;
  for (; filled < 4 && i < n; i++, filled++) {
    const c = unit.charCodeAt(i);
    high |= c;
    k |= c << (8 * filled);
  }
  if (filled === 4) {
    h = mixBlock(h, k);
    g = mixBlock(g, k);
    k = 0;
    filled = 0;
    for (; i + 4 <= n; i += 4) {
      const c0 = unit.charCodeAt(i);
      const c1 = unit.charCodeAt(i + 1);
      const c2 = unit.charCodeAt(i + 2);
      const c3 = unit.charCodeAt(i + 3);
      high |= c0 | c1 | c2 | c3;
      const block = c0 | (c1 << 8) | (c2 << 16) | (c3 << 24);
      h = mixBlock(h, block);
      g = mixBlock(g, block);
    }
    for (; i < n; i++, filled++) {
      const c = unit.charCodeAt(i);
      high |= c;
      k |= c << (8 * filled);
    }
  }
  // A unit id that is not ASCII is hashed over its UTF-8 bytes, as bucketOf does.
  if (high > 0x7f) {
    const bytes = concat(prefix.bytes, utf8(unit));
    FINGERPRINT[0] = murmur3Bytes(bytes);
    FINGERPRINT[1] = murmur3Bytes(bytes, FINGERPRINT_SEED);
    return ((FINGERPRINT[0] as number) >>> 0) % BUCKETS;
  }
  if (filled > 0) {
    h = mixTail(h, k);
    g = mixTail(g, k);
  }
  const full = finish(h, prefix.bytes.length + n);
  FINGERPRINT[0] = full;
  FINGERPRINT[1] = finish(g, prefix.bytes.length + n);
  return full % BUCKETS;
}

function concat(a: ArrayLike<number>, b: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(Array.from(a), 0);
  out.set(Array.from(b), a.length);
  return out;
}

function finish(h: number, length: number): number {
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
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
