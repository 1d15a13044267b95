import { KeyOrder } from "./earlier-values.js";
import { KEY, keyHex, unitKey } from "./unit-key.js";
import { IN_CHUNK, setCount, UnitTable, type Chunk } from "./unit-table.js";
import { contribution, type UnitMetric } from "./unit-metrics.js";

/**
 * How a unit's exposure changed what it was served: seen before in this arm (nothing new to
 * count), seen before in another arm (a new unit of this arm), or its first exposure.
 */
export type Served = "again" | "new_arm" | "new_unit";

// meta: latest arm (4 bits) | row arm (4 bits) << 4 | arms served (16 bits) << 8 | segment + 1 (5 bits) << 24
const LATEST = 0xf;
const ROW_SHIFT = 4;
const MASK_SHIFT = 8;
const SEGMENT_SHIFT = 24;
/** A row's segment bits: 0 for none known ("other"), else the segment index + 1. */
const segmentBits = (segment: number): number => (segment >= 0 && segment < 31 ? (segment + 1) << SEGMENT_SHIFT : 0);
/** A row of (unit, arm) for an arm other than the unit's first is keyed by the unit's key with the arm's salt. */
const salt = (arm: number, k: number): number => Math.imul(arm + 1, k) >>> 0;

/**
 * Who was served what in one experiment, and each unit's running aggregates: one row per unit
 * and arm it was served (or had outcomes in), with the allocation period the row began in and,
 * per reported KPI (evidence/unit-metrics.ts), a count and a sum. The row of the unit's first
 * arm also holds its latest arm and every arm it was served. Rows are typed arrays in chunks of 65,536, found through an
 * open-addressing table keyed by the 64-bit key of the unit id (evidence/unit-key.ts); ids are
 * not kept. A unit costs 16 + 6·K bytes of row (and a bit) and 4–8 bytes of table: about 40 bytes
 * with three KPIs, where a Map entry and the id string alone took more.
 *
 * Kept for restarts as an append-only journal (`drainJournal`: one JSON line per row changed
 * since the last drain), written a little at a time, instead of the whole table in every
 * checkpoint: serialising a million units at every tick stalled evaluations.
 */
export class ServedUnits {
  private readonly table: UnitTable;

  constructor(readonly rawKpis = 0, expectedRows = 0) {
    this.table = new UnitTable(rawKpis, expectedRows);
  }

  /** Rows kept (a unit served two arms has two). */
  get size(): number {
    return this.table.size;
  }

  /** The arm index of the unit's latest exposure, or undefined if never exposed. */
  latestArm(unit: string): number | undefined {
    unitKey(unit);
    const row = this.table.find(KEY[0] as number, KEY[1] as number);
    return row < 0 ? undefined : this.metaOf(row) & LATEST;
  }

  /** The arm whose aggregates the row holds. */
  rowArm(row: number): number {
    return (this.metaOf(row) >>> ROW_SHIFT) & LATEST;
  }

  /** The segment index the row's unit was first exposed in (-1: none known, counted as "other"). */
  rowSegment(row: number): number {
    return ((this.metaOf(row) >>> SEGMENT_SHIFT) & 31) - 1;
  }

  /** The allocation period (revision) the row began in. */
  rowPeriod(row: number): number {
    return (this.chunkOf(row).periods[row & IN_CHUNK] as number) | 0;
  }

  /** The row's counts and sums arrays and its offset in them: `counts[slot + r]` is raw KPI r. */
  countsOf(row: number): Uint16Array | Uint32Array {
    return this.chunkOf(row).counts;
  }
  sumsOf(row: number): Float32Array {
    return this.chunkOf(row).sums;
  }
  slot(row: number): number {
    return (row & IN_CHUNK) * this.rawKpis;
  }

  /**
   * Records that `unit` was served arm `index` now (in period `revision`). `created` is the row
   * of (unit, arm) when this exposure began it (-1 when the row existed). A unit first exposed
   * now is kept in `segment` (-1: none); one seen before stays in the segment it was first in.
   */
  record(unit: string, index: number, revision: number, segment = -1): { readonly served: Served; readonly created: number; readonly segment: number } {
    unitKey(unit);
    const hi = KEY[0] as number;
    const lo = KEY[1] as number;
    const row = this.table.find(hi, lo);
    if (row < 0) return { served: "new_unit", created: this.table.begin(hi, lo, (index | (index << ROW_SHIFT) | (1 << (index + MASK_SHIFT)) | segmentBits(segment)) >>> 0, revision), segment };
    const chunk = this.chunkOf(row);
    const previous = chunk.meta[row & IN_CHUNK] as number;
    const bit = 1 << (index + MASK_SHIFT);
    const next = ((previous & ~LATEST) | bit | index) >>> 0;
    const kept = ((previous >>> SEGMENT_SHIFT) & 31) - 1;
    if (next !== previous) {
      chunk.meta[row & IN_CHUNK] = next;
      this.table.touch(row);
    }
    if ((previous & bit) !== 0) return { served: "again", created: -1, segment: kept };
    if (((previous >>> ROW_SHIFT) & LATEST) === index) return { served: "new_arm", created: -1, segment: kept };
    const h = (hi ^ salt(index, 0x9e3779b9)) >>> 0;
    const l = (lo ^ salt(index, 0x85ebca6b)) >>> 0;
    const existing = this.table.find(h, l);
    return { served: "new_arm", created: existing >= 0 ? -1 : this.table.begin(h, l, ((index << ROW_SHIFT) | segmentBits(kept)) >>> 0, revision), segment: kept };
  }

  /** The row of (unit, arm), begun now in period `revision` if there was none; `began` says which. */
  armRow(unit: string, arm: number, revision: number): { readonly row: number; readonly began: boolean } {
    unitKey(unit);
    const hi = KEY[0] as number;
    const lo = KEY[1] as number;
    const first = this.table.find(hi, lo);
    if (first < 0) return { row: this.table.begin(hi, lo, arm | (arm << ROW_SHIFT) | (1 << (arm + MASK_SHIFT)), revision), began: true };
    if (this.rowArm(first) === arm) return { row: first, began: false };
    const h = (hi ^ salt(arm, 0x9e3779b9)) >>> 0;
    const l = (lo ^ salt(arm, 0x85ebca6b)) >>> 0;
    const row = this.table.find(h, l);
    // A row for another arm keeps the unit's segment.
    return row >= 0 ? { row, began: false } : { row: this.table.begin(h, l, ((arm << ROW_SHIFT) | segmentBits(this.rowSegment(first))) >>> 0, revision), began: true };
  }

  /** One value of raw KPI `r` for the row. */
  add(row: number, r: number, x: number): void {
    const chunk = this.chunkOf(row);
    const at = (row & IN_CHUNK) * this.rawKpis + r;
    setCount(chunk, at, (chunk.counts[at] as number) + 1);
    chunk.sums[at] = (chunk.sums[at] as number) + x;
    this.table.touch(row);
  }

  /**
   * Each unit's value of `metric` (y / d of its contribution, from the row of its first arm),
   * with the high half of its key: what evidence/earlier-values.ts keeps when the experiment ends.
   * The first `max` such units in row order, sorted by key, one per key — built with one
   * 8-byte word per unit and the result, so ending a million-unit experiment does not leave tens
   * of MB of freed arrays behind.
   */
  sortedUnitValues(metric: UnitMetric, max: number): { readonly keys: Uint32Array; readonly values: Float32Array } {
    const value = (row: number): number => {
      const chunk = this.chunkOf(row);
      const j = row & IN_CHUNK;
      if ((((chunk.meta[j] as number) >>> MASK_SHIFT) & 0xffff) === 0) return NaN;
      const c = contribution(metric, chunk.counts, chunk.sums, j * this.rawKpis);
      return !c || c[1] === 0 ? NaN : c[0] / c[1];
    };
    // Room for every row (a unit served two arms has two, one of them without a value).
    const order = new KeyOrder(Math.min(this.size, max));
    let n = 0;
    for (let row = 0; row < this.size && n < max; row++) if (!Number.isNaN(value(row))) order.set(n++, this.chunkOf(row).keys[2 * (row & IN_CHUNK)] as number, row);
    return order.sorted(n, value);
  }

  /** Starts keeping changes for drainJournal() (the daemon; simulations never restart). */
  startJournal(): void {
    this.table.startQueue();
  }

  /**
   * The next `max` changed rows not yet drained (in row order), as NDJSON ("" for none): `["<key>", meta,
   * period, count₀, sum₀, count₁, sum₁, …]`. Bounded so that one drain never holds the event
   * loop for long: the daemon drains a little, often.
   */
  drainJournal(max = Infinity): string {
    let text = "";
    for (let i = 0; i < max; i++) {
      const row = this.table.pop();
      if (row < 0) break;
      const chunk = this.chunkOf(row);
      const j = row & IN_CHUNK;
      let line = `["${keyHex(chunk.keys[2 * j] as number, chunk.keys[2 * j + 1] as number)}",${chunk.meta[j]},${chunk.periods[j]}`;
      const at = j * this.rawKpis;
      for (let r = 0; r < this.rawKpis; r++) line += `,${chunk.counts[at + r]},${chunk.sums[at + r]}`;
      text += line + "]\n";
    }
    return text;
  }

  /** Changes waiting to be drained. */
  get undrained(): number {
    return this.table.queuedRows;
  }

  /**
   * Replays a journal (later lines win); a torn or garbled line is skipped. Lines of the earlier
   * formats, `[unit, packed]` (latest arm in 5 bits, arms served above), carry no aggregates.
   * Returns the lines applied.
   */
  replay(journal: string): number {
    let applied = 0;
    for (const line of journal.split("\n")) {
      if (line === "") continue;
      try {
        const parsed = JSON.parse(line) as unknown[];
        const [key, packed] = parsed;
        if (typeof key !== "string" || typeof packed !== "number" || !Number.isInteger(packed)) continue;
        if (parsed.length === 2) this.loadOld(key, packed);
        else {
          if (!/^[0-9a-f]{16}$/.test(key) || parsed.length !== 3 + 2 * this.rawKpis || !parsed.every((x, i) => i === 0 || (typeof x === "number" && Number.isFinite(x)))) continue;
          this.put(parseInt(key.slice(0, 8), 16), parseInt(key.slice(8), 16), packed, parsed[2] as number, parsed.slice(3) as number[]);
        }
        applied++;
      } catch {
        // the last line of a journal cut by a crash
      }
    }
    return applied;
  }

  /** Takes over rows another copy knows and this one does not (a replica reloaded in scale-out). */
  adopt(other: ServedUnits): void {
    for (let row = 0; row < other.table.size; row++) {
      const chunk = other.table.chunkOf(row);
      const j = row & IN_CHUNK;
      const hi = chunk.keys[2 * j] as number;
      const lo = chunk.keys[2 * j + 1] as number;
      if (this.table.find(hi, lo) >= 0) continue;
      const values: number[] = [];
      for (let r = 0; r < Math.min(this.rawKpis, other.rawKpis); r++) values.push(chunk.counts[j * other.rawKpis + r] as number, chunk.sums[j * other.rawKpis + r] as number);
      this.put(hi, lo, chunk.meta[j] as number, chunk.periods[j] as number, values);
    }
  }

  /** Every unit, for the checkpoint format that still carried them inline (format 1). */
  load(entries: Iterable<readonly [string, number]>): void {
    for (const [unit, packed] of entries) this.loadOld(unit, packed);
  }

  private loadOld(unit: string, packed: number): void {
    unitKey(unit);
    this.put(KEY[0] as number, KEY[1] as number, (packed & 31) | ((packed & 31) << ROW_SHIFT) | ((packed >>> 5) << MASK_SHIFT), 0, []);
  }

  /** Sets a row from a journal or another copy, beginning it if the key is new. */
  private put(hi: number, lo: number, meta: number, period: number, values: readonly number[]): void {
    let row = this.table.find(hi, lo);
    if (row < 0) row = this.table.begin(hi, lo, meta, period);
    const chunk = this.chunkOf(row);
    const j = row & IN_CHUNK;
    chunk.meta[j] = meta;
    chunk.periods[j] = period;
    for (let r = 0; r < this.rawKpis; r++) {
      setCount(chunk, j * this.rawKpis + r, values[2 * r] ?? 0);
      chunk.sums[j * this.rawKpis + r] = values[2 * r + 1] ?? 0;
    }
  }

  private metaOf(row: number): number {
    return this.chunkOf(row).meta[row & IN_CHUNK] as number;
  }

  private chunkOf(row: number): Chunk {
    return this.table.chunkOf(row);
  }

}

