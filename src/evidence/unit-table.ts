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
  /** K per row: outcomes of each raw KPI, and their sum. */
  readonly counts: Uint32Array;
  readonly sums: Float64Array;
  /** 1 while the row waits in the journal queue. */
  readonly dirty: Uint8Array;
}

/**
 * Rows in typed arrays, found by a 64-bit key through an open-addressing table (linear
 * probing, at most 3/4 full), with a queue of rows changed since the journal last drained.
 * The storage of evidence/served-units.ts; it knows nothing of what a row means.
 */
export class UnitTable {
  private readonly chunks: Chunk[] = [];
  private rows = 0;
  /** Row + 1 per slot, 0 = empty. */
  private table = new Int32Array(1 << 12);
  /** Rows changed since the last drain, in first-change order (a ring); null while no journal is kept. */
  private queue: Int32Array | null = null;
  private head = 0;
  private queued = 0;

  constructor(readonly k: number) {}

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
    if ((row & IN_CHUNK) === 0) this.chunks.push(newChunk(this.k));
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
    this.queue ??= new Int32Array(1024);
  }

  get queuedRows(): number {
    return this.queued;
  }

  /** The oldest changed row (its dirty mark cleared), or -1. */
  pop(): number {
    if (!this.queue || this.queued === 0) return -1;
    const row = this.queue[this.head] as number;
    this.head = (this.head + 1) % this.queue.length;
    this.queued--;
    (this.chunkOf(row).dirty as Uint8Array)[row & IN_CHUNK] = 0;
    return row;
  }

  /** Queues the row for the journal once until it is drained. */
  touch(row: number): void {
    if (!this.queue) return;
    const chunk = this.chunkOf(row);
    const j = row & IN_CHUNK;
    if (chunk.dirty[j] === 1) return;
    chunk.dirty[j] = 1;
    if (this.queued === this.queue.length) {
      const grown = new Int32Array(this.queue.length * 2);
      for (let i = 0; i < this.queued; i++) grown[i] = this.queue[(this.head + i) % this.queue.length] as number;
      this.queue = grown;
      this.head = 0;
    }
    this.queue[(this.head + this.queued) % this.queue.length] = row;
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

function newChunk(k: number): Chunk {
  return { keys: new Uint32Array(2 * CHUNK), meta: new Uint32Array(CHUNK), periods: new Int32Array(CHUNK), counts: new Uint32Array(CHUNK * k), sums: new Float64Array(CHUNK * k), dirty: new Uint8Array(CHUNK) };
}
