/** Rows per chunk: storage grows a chunk at a time, never by copying what is there. */
export const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
export const IN_CHUNK = CHUNK - 1;

/** One chunk of rows: row r of the table is entry r & IN_CHUNK of chunk r >>> CHUNK_BITS. */
export interface Chunk {
  /** The row's 64-bit key, two halves per row. */
  readonly keys: Uint32Array;
  readonly meta: Uint32Array;
  readonly periods: Int32Array;
  /**
   * K per row: outcomes of each raw KPI, and their sum. Counts take 16 bits until a row of the
   * chunk passes 65,535 outcomes of a KPI, then the chunk's counts move to 32 bits (promote()).
   * A unit's total is kept in single precision (24-bit mantissa: integers exact to 16,777,216,
   * else 7 significant digits); the sums over units that the analysis reads are double
   * (evidence/arm-stats.ts).
   */
  counts: Uint16Array | Uint32Array;
  readonly sums: Float32Array;
  /** One bit per row, set while the row waits for the journal. */
  readonly dirty: Uint32Array;
}

/**
 * Rows in typed arrays, found by a 64-bit key through an open-addressing table (linear
 * probing, at most 3/4 full), with a dirty bit per row changed since the journal last drained
 * (a bitmap, not a queue: a queue of row numbers cost 4–8 bytes a row at a million rows).
 * The storage of evidence/served-units.ts; it knows nothing of what a row means.
 */
export class UnitTable {
  private readonly chunks: Chunk[] = [];
  private rows = 0;
  /** Row + 1 per slot, 0 = empty; at most 3/4 full. */
  private table: Int32Array;
  /** Dirty bits are kept only once a journal is (the daemon; simulations never restart). */
  private journaling = false;
  /** Rows with their dirty bit set, and where the next drain looks from. */
  private queued = 0;
  private cursor = 0;

  /** Where the chunks' arrays live (see Slabs). */
  private readonly slabs: Slabs;

  /** `expectedRows`: the index is made for that many rows at once (it still grows past them). */
  constructor(
    readonly k: number,
    expectedRows = 0,
  ) {
    this.slabs = new Slabs(k);
    let slots = 1 << 12;
    while (slots * 3 < Math.min(expectedRows, 1 << 26) * 4) slots *= 2;
    this.table = new Int32Array(slots);
  }

  get size(): number {
    return this.rows;
  }

  chunkOf(row: number): Chunk {
    return this.chunks[row >>> CHUNK_BITS] as Chunk;
  }

  /** The row of a key, or -1. */
  find(hi: number, lo: number): number {
    const table = this.table;
    const mask = table.length - 1;
    for (let s = slotOf(hi, lo, mask); ; s = (s + 1) & mask) {
      const entry = table[s] as number;
      if (entry === 0) return -1;
      const row = entry - 1;
      const chunk = this.chunkOf(row);
      const j = row & IN_CHUNK;
      if (chunk.keys[2 * j] === hi && chunk.keys[2 * j + 1] === lo) return row;
    }
  }

  /** A new row for a key not in the table, its counts and sums at zero. */
  begin(hi: number, lo: number, meta: number, period: number): number {
    const row = this.rows++;
    if ((row & IN_CHUNK) === 0) this.chunks.push(this.slabs.chunk());
    const chunk = this.chunkOf(row);
    const j = row & IN_CHUNK;
    chunk.keys[2 * j] = hi;
    chunk.keys[2 * j + 1] = lo;
    chunk.meta[j] = meta;
    chunk.periods[j] = period;
    if (this.rows * 4 > this.table.length * 3) this.rehash();
    else insert(this.table, row, hi, lo);
    this.touch(row);
    return row;
  }

  startQueue(): void {
    this.journaling = true;
  }

  get queuedRows(): number {
    return this.queued;
  }

  /**
   * The next changed row at or after the cursor (wrapping), its dirty bit cleared, or -1: rows
   * drain in row order, a word of 32 rows at a time, so a clean stretch costs little.
   */
  pop(): number {
    if (this.queued === 0) return -1;
    let row = this.cursor;
    for (;;) {
      if (row >= this.rows) row = 0;
      const chunk = this.chunkOf(row);
      const j = row & IN_CHUNK;
      const bits = (chunk.dirty[j >>> 5] as number) >>> (j & 31);
      if (bits === 0) {
        row = (row | 31) + 1;
        continue;
      }
      const found = row + (31 - Math.clz32(bits & -bits));
      chunk.dirty[j >>> 5] = (chunk.dirty[j >>> 5] as number) & ~(1 << (found & 31));
      this.queued--;
      this.cursor = found + 1;
      return found;
    }
  }

  /** Marks the row for the journal (once until it is drained). */
  touch(row: number): void {
    if (!this.journaling) return;
    const dirty = this.chunkOf(row).dirty;
    const j = row & IN_CHUNK;
    const word = dirty[j >>> 5] as number;
    const bit = 1 << (j & 31);
    if ((word & bit) !== 0) return;
    dirty[j >>> 5] = word | bit;
    this.queued++;
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2);
    for (let row = 0; row < this.rows; row++) {
      const chunk = this.chunkOf(row);
      const j = row & IN_CHUNK;
      insert(table, row, chunk.keys[2 * j] as number, chunk.keys[2 * j + 1] as number);
    }
    this.table = table;
  }
}

const slotOf = (hi: number, lo: number, mask: number): number => (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;

function insert(table: Int32Array, row: number, hi: number, lo: number): void {
  const mask = table.length - 1;
  let s = slotOf(hi, lo, mask);
  while (table[s] !== 0) s = (s + 1) & mask;
  table[s] = row + 1;
}

/** Sets a count, moving the chunk's counts to 32 bits first when it does not fit in 16. */
export function setCount(chunk: Chunk, at: number, count: number): void {
  if (count > 0xffff && chunk.counts instanceof Uint16Array) chunk.counts = Uint32Array.from(chunk.counts);
  chunk.counts[at] = count;
}

/** Bytes of one slab: at or above glibc's largest dynamic mmap threshold (32 MB on 64-bit). */
const SLAB_BYTES = 32 * 2 ** 20;

/**
 * A table's chunks, carved out of 32 MB buffers. Allocated one by one (six arrays of 8 KB to
 * 768 KB per chunk), they came from the C allocator's heap once its mmap threshold had risen,
 * and when an experiment ended its tens of MB of freed rows stayed resident. A block of 32 MB or
 * more is always mapped on its own: its pages become resident only when rows are written, and
 * they go back to the system when the table is dropped. The first chunk is a buffer of its own
 * (2.2 MB with three KPIs), so a small experiment reserves no more than before.
 */
class Slabs {
  private buffer: ArrayBuffer | null = null;
  private used = 0;
  private readonly bytes: number;

  constructor(private readonly k: number) {
    this.bytes = 8 * CHUNK + 4 * CHUNK + 4 * CHUNK + 4 * CHUNK * k + 4 * (CHUNK >>> 5) + 2 * CHUNK * k;
  }

  chunk(): Chunk {
    if (!this.buffer || this.used + this.bytes > this.buffer.byteLength) {
      // The first chunk alone: a table of fewer than 65,536 rows takes what it did before.
      this.buffer = new ArrayBuffer(this.buffer ? Math.max(SLAB_BYTES, this.bytes) : this.bytes);
      this.used = 0;
    }
    const buffer = this.buffer;
    const k = this.k;
    // 4-byte arrays first, the 2-byte counts last, so every array starts aligned.
    let at = this.used;
    const keys = new Uint32Array(buffer, at, 2 * CHUNK);
    const meta = new Uint32Array(buffer, (at += 8 * CHUNK), CHUNK);
    const periods = new Int32Array(buffer, (at += 4 * CHUNK), CHUNK);
    const sums = new Float32Array(buffer, (at += 4 * CHUNK), CHUNK * k);
    const dirty = new Uint32Array(buffer, (at += 4 * CHUNK * k), CHUNK >>> 5);
    const counts = new Uint16Array(buffer, (at += 4 * (CHUNK >>> 5)), CHUNK * k);
    // The next chunk starts 4-byte aligned whatever k is.
    this.used = (at + 2 * CHUNK * k + 3) & ~3;
    return { keys, meta, periods, counts, sums, dirty };
  }
}
