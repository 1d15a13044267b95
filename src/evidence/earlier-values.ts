/**
 * One earlier value per unit of a target's primary metric, kept when an experiment ends so the
 * next one can use it as the CUPED covariate (stats/cuped.ts) of units that come back. Bounded:
 * at most `max` units, those of the experiment that ended last first, then the earlier ones.
 *
 * Kept as two sorted typed arrays — the high 32 bits of the unit key (evidence/unit-key.ts) and
 * the value in single precision — 8 bytes a unit, searched by bisection. Two units sharing the
 * 32-bit key (a unit finds another's value with probability size / 2³², 2·10⁻⁴ at a million)
 * only weaken the covariate: any value from before the experiment is independent of its
 * assignment, so the adjusted estimate stays unbiased.
 */
const MAGIC = [0x45, 0x56, 0x43, 0x56]; // "EVCV"

export class EarlierValues {
  static readonly EMPTY = new EarlierValues("", new Uint32Array(0), new Float32Array(0));

  /** Most units a store can hold: entries are sorted as key·2²¹ + index in a double. */
  static readonly MAX_UNITS = 1 << 21;

  constructor(
    /** The experiment whose end made this store ("" for none): a checkpoint names it. */
    readonly source: string,
    private readonly keys: Uint32Array,
    private readonly values: Float32Array,
  ) {}

  get size(): number {
    return this.keys.length;
  }

  /**
   * Bytes for the store: "EVCV", version 1, the source's length (u16) and UTF-8, n (u32), then n
   * keys (u32) and n values (f32), little-endian.
   */
  encode(): Uint8Array {
    const source = new TextEncoder().encode(this.source);
    const out = new Uint8Array(4 + 1 + 2 + source.length + 4 + 8 * this.size);
    const view = new DataView(out.buffer);
    out.set(MAGIC, 0);
    out[4] = 1;
    view.setUint16(5, source.length, true);
    out.set(source, 7);
    let at = 7 + source.length;
    view.setUint32(at, this.size, true);
    at += 4;
    for (let i = 0; i < this.size; i++) view.setUint32(at + 4 * i, this.keys[i] as number, true);
    at += 4 * this.size;
    for (let i = 0; i < this.size; i++) view.setFloat32(at + 4 * i, this.values[i] as number, true);
    return out;
  }

  /** What encode() wrote, or null for anything else (a torn or foreign file: no values kept). */
  static decode(data: Uint8Array): EarlierValues | null {
    if (data.length < 11 || MAGIC.some((b, i) => data[i] !== b) || data[4] !== 1) return null;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const length = view.getUint16(5, true);
    if (data.length < 11 + length) return null;
    const source = new TextDecoder().decode(data.subarray(7, 7 + length));
    const n = view.getUint32(7 + length, true);
    const at = 11 + length;
    if (data.length !== at + 8 * n || n > EarlierValues.MAX_UNITS) return null;
    const keys = new Uint32Array(n);
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      keys[i] = view.getUint32(at + 4 * i, true);
      values[i] = view.getFloat32(at + 4 * (n + i), true);
      // Sorted, one per key, finite: what after() builds; anything else is not ours.
      if ((i > 0 && (keys[i] as number) <= (keys[i - 1] as number)) || !Number.isFinite(values[i] as number)) return null;
    }
    return new EarlierValues(source, keys, values);
  }

  /** The unit's earlier value, NaN when it has none. */
  valueOf(hi: number): number {
    const keys = this.keys;
    const key = hi >>> 0;
    let lo = 0;
    let up = keys.length;
    while (lo < up) {
      const mid = (lo + up) >>> 1;
      if ((keys[mid] as number) < key) lo = mid + 1;
      else up = mid;
    }
    return lo < keys.length && keys[lo] === key ? (this.values[lo] as number) : NaN;
  }

  /**
   * The store after experiment `source` ended with these units' values (`keys[i]` the unit key's
   * high half): all of them first (up to `max`), then the earlier store's units not among them.
   */
  static after(source: string, keys: Uint32Array, values: Float32Array, previous: EarlierValues, max: number): EarlierValues {
    const limit = Math.min(max, EarlierValues.MAX_UNITS);
    return EarlierValues.afterSorted(source, sortedEntries(keys, values, Math.min(keys.length, limit)), previous, max);
  }

  /** after() for fresh values already sorted by key, one per key, at most `max` (evidence/served-units.ts sortedUnitValues). */
  static afterSorted(source: string, fresh: { readonly keys: Uint32Array; readonly values: Float32Array }, previous: EarlierValues, max: number): EarlierValues {
    const limit = Math.min(max, EarlierValues.MAX_UNITS);
    // Both lists are sorted: one merge keeps every fresh unit and, while there is room, the
    // earlier units it does not have, in key order.
    let room = limit - fresh.keys.length;
    const outKeys = new Uint32Array(fresh.keys.length + Math.min(room, previous.size));
    const outValues = new Float32Array(outKeys.length);
    let i = 0;
    let j = 0;
    let m = 0;
    while (i < fresh.keys.length || (j < previous.size && room > 0)) {
      const a = i < fresh.keys.length ? (fresh.keys[i] as number) : Infinity;
      const b = j < previous.size && room > 0 ? (previous.keys[j] as number) : Infinity;
      if (a <= b) {
        outKeys[m] = a;
        outValues[m++] = fresh.values[i++] as number;
        if (a === b) j++; // the fresh value replaces the earlier one
      } else {
        outKeys[m] = b;
        outValues[m++] = previous.values[j++] as number;
        room--;
      }
    }
    return new EarlierValues(source, outKeys.subarray(0, m), outValues.subarray(0, m));
  }
}

/** The first n entries sorted by key, one per key (the first of each). */
function sortedEntries(keys: Uint32Array, values: Float32Array, n: number): { keys: Uint32Array; values: Float32Array } {
  const order = new KeyOrder(n);
  for (let i = 0; i < n; i++) order.set(i, keys[i] as number, i);
  return order.sorted(n, (i) => values[i] as number);
}

/**
 * Entries (key, index) sorted by a native sort of one 64-bit word each — the key in the high
 * half, the index in the low one, written through a 32-bit view of the same memory — so that
 * ties keep index order and nothing per entry is allocated. 8 bytes an entry.
 */
export class KeyOrder {
  private readonly words: BigUint64Array;
  private readonly halves: Uint32Array;

  constructor(n: number) {
    this.words = new BigUint64Array(n);
    this.halves = new Uint32Array(this.words.buffer);
  }

  set(at: number, key: number, index: number): void {
    // Little-endian (as every platform Node runs on): word = high << 32 | low.
    this.halves[2 * at] = index;
    this.halves[2 * at + 1] = key;
  }

  /** The first n entries' keys, sorted and one per key, with valueOf(index) of the first of each. */
  sorted(n: number, valueOf: (index: number) => number): { keys: Uint32Array; values: Float32Array } {
    this.words.subarray(0, n).sort();
    let m = 0;
    for (let i = 0; i < n; i++) if (i === 0 || this.halves[2 * i + 1] !== this.halves[2 * i - 1]) m++;
    const keys = new Uint32Array(m);
    const values = new Float32Array(m);
    for (let i = 0, j = 0; i < n; i++) {
      const key = this.halves[2 * i + 1] as number;
      if (i > 0 && key === this.halves[2 * i - 1]) continue;
      keys[j] = key;
      values[j++] = valueOf(this.halves[2 * i] as number);
    }
    return { keys, values };
  }
}
