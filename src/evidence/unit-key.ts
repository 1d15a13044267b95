/**
 * A 64-bit key of a unit id, as two 32-bit halves, computed over its UTF-16 code units with
 * no allocation (the id is hashed on every event). Two multiplicative hashes with different
 * seeds and a final avalanche each (cyrb53's construction, keeping all 64 bits). Ids are not
 * kept: two ids with the same key would share one row, which for n units happens with
 * probability about n²/2⁶⁵ (3·10⁻⁸ for a million units); the hash is not cryptographic, so a
 * client that chose colliding ids on purpose could merge its own units' statistics, no more.
 */
export const KEY = new Uint32Array(2);

export function unitKey(unit: string): void {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < unit.length; i++) {
    const c = unit.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  KEY[0] = h1;
  KEY[1] = h2 ^ unit.length;
}

/** The key as 16 hex digits (the served journal's form). */
export function keyHex(hi: number, lo: number): string {
  return (hi >>> 0).toString(16).padStart(8, "0") + (lo >>> 0).toString(16).padStart(8, "0");
}
