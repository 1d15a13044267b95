/**
 * How a unit's exposure changed what it was served: seen before in this arm (nothing new to
 * count), seen before in another arm (a new unit of this arm), or its first exposure.
 */
export type Served = "again" | "new_arm" | "new_unit";

// meta: latest arm (4 bits) | row arm (4 bits) << 4 | arms served (16 bits) << 8
const LATEST = 0xf;
const ROW_SHIFT = 4;
const MASK_SHIFT = 8;

/**
 * Who was served what in one experiment, and each unit's running aggregates: one row per unit
 * and arm it was served (or had outcomes in), with the allocation period the row began in and
 * a count and a sum per reported KPI (evidence/unit-metrics.ts); the row of the unit's first
 * arm also holds its latest arm and every arm it was served. Rows live in flat typed arrays
 * indexed through one Map (unit → its first row; `<arm>\0<unit>` → a row in another arm), so a
 * unit costs its Map entry and 8 + 16·K bytes, not an object.
 *
 * Kept for restarts as an append-only journal (`drainJournal`: one JSON line per unit changed
 * since the last drain, with its whole row), written a little at a time, instead of the whole
 * table in every checkpoint: serialising a million units at every tick stalled evaluations.
 */
export class ServedUnits {
  private readonly rowOf = new Map<string, number>();
  private names: string[] = [];
  private meta = new Uint32Array(1024);
  private periods = new Int32Array(1024);
  /** counts[row·K + r], sums[row·K + r]: outcomes reporting raw KPI r, and their sum. */
  private counts: Float64Array;
  private sums: Float64Array;
  /** Rows changed since the last drain, in first-change order; null while no journal is kept. */
  private changed: Set<number> | null = null;

  constructor(readonly rawKpis = 0) {
    this.counts = new Float64Array(1024 * rawKpis);
    this.sums = new Float64Array(1024 * rawKpis);
  }

  get size(): number {
    return this.names.length;
  }

  /** The arm index of the unit's latest exposure, or undefined if never exposed. */
  latestArm(unit: string): number | undefined {
    const row = this.rowOf.get(unit);
    return row === undefined ? undefined : (this.meta[row] as number) & LATEST;
  }

  /** The arm whose aggregates the row holds. */
  rowArm(row: number): number {
    return ((this.meta[row] as number) >>> ROW_SHIFT) & LATEST;
  }

  /** The allocation period (revision) the row began in. */
  rowPeriod(row: number): number {
    return this.periods[row] as number;
  }

  /** Offset of the row's slots in countsOf / sumsOf. */
  slot(row: number): number {
    return row * this.rawKpis;
  }
  get countsOf(): Float64Array {
    return this.counts;
  }
  get sumsOf(): Float64Array {
    return this.sums;
  }

  /**
   * Records that `unit` was served arm `index` now (in period `revision`). `created` is the row
   * of (unit, arm) when this exposure began it (-1 when the row existed).
   */
  record(unit: string, index: number, revision: number): { readonly served: Served; readonly created: number } {
    const row = this.rowOf.get(unit);
    if (row === undefined) return { served: "new_unit", created: this.armRow(unit, index, revision) };
    const previous = this.meta[row] as number;
    const bit = 1 << (index + MASK_SHIFT);
    const next = (previous & ~LATEST) | bit | index;
    if (next !== previous) {
      this.meta[row] = next;
      this.changed?.add(row);
    }
    if ((previous & bit) !== 0) return { served: "again", created: -1 };
    const rows = this.size;
    const created = this.armRow(unit, index, revision);
    return { served: "new_arm", created: this.size > rows ? created : -1 };
  }

  /** The row of (unit, arm), begun now in period `revision` if there was none. */
  armRow(unit: string, arm: number, revision: number): number {
    const first = this.rowOf.get(unit);
    if (first !== undefined && this.rowArm(first) === arm) return first;
    const key = first === undefined ? unit : `${arm}\u0000${unit}`;
    let row = this.rowOf.get(key);
    if (row === undefined) {
      row = this.newRow(key);
      this.meta[row] = first === undefined ? arm | (arm << ROW_SHIFT) | (1 << (arm + MASK_SHIFT)) : arm << ROW_SHIFT;
      this.periods[row] = revision;
      this.changed?.add(row);
    }
    return row;
  }

  /** One value of raw KPI `r` for the row. */
  add(row: number, r: number, x: number): void {
    const at = row * this.rawKpis + r;
    this.counts[at] = (this.counts[at] as number) + 1;
    this.sums[at] = (this.sums[at] as number) + x;
    this.changed?.add(row);
  }

  /** Starts keeping changes for drainJournal() (the daemon; simulations never restart). */
  startJournal(): void {
    this.changed ??= new Set();
  }

  /**
   * The oldest `max` changed rows not yet drained, as NDJSON ("" for none): `[unit, meta,
   * period, count₀, sum₀, count₁, sum₁, …]`. Bounded so that one drain never holds the event
   * loop for long: the daemon drains a little, often.
   */
  drainJournal(max = Infinity): string {
    const changed = this.changed;
    if (!changed || changed.size === 0) return "";
    let text = "";
    let n = 0;
    for (const row of changed) {
      if (n++ >= max) break;
      changed.delete(row);
      let line = `[${JSON.stringify(this.names[row])},${this.meta[row]},${this.periods[row]}`;
      const at = row * this.rawKpis;
      for (let r = 0; r < this.rawKpis; r++) line += `,${this.counts[at + r]},${this.sums[at + r]}`;
      text += line + "]\n";
    }
    return text;
  }

  /** Changes waiting to be drained. */
  get undrained(): number {
    return this.changed?.size ?? 0;
  }

  /**
   * Replays a journal (later lines win); a torn or garbled line is skipped. Lines of the earlier
   * format `[unit, packed]` (latest arm in 5 bits, arms served above) carry no aggregates.
   * Returns the lines applied.
   */
  replay(journal: string): number {
    let applied = 0;
    for (const line of journal.split("\n")) {
      if (line === "") continue;
      try {
        const parsed = JSON.parse(line) as unknown[];
        const [unit, packed] = parsed;
        if (typeof unit !== "string" || typeof packed !== "number" || !Number.isInteger(packed)) continue;
        if (parsed.length === 2) {
          this.restore(unit, (packed & 31) | ((packed & 31) << ROW_SHIFT) | ((packed >>> 5) << MASK_SHIFT), 0, []);
        } else {
          if (parsed.length !== 3 + 2 * this.rawKpis || !parsed.every((x, i) => i === 0 || (typeof x === "number" && Number.isFinite(x)))) continue;
          this.restore(unit, packed, parsed[2] as number, parsed.slice(3) as number[]);
        }
        applied++;
      } catch {
        // the last line of a journal cut by a crash
      }
    }
    return applied;
  }

  /** Takes over units another copy knows and this one does not (a replica reloaded in scale-out). */
  adopt(other: ServedUnits): void {
    for (const [unit, row] of other.rowOf) {
      if (this.rowOf.has(unit)) continue;
      const values: number[] = [];
      const at = row * other.rawKpis;
      for (let r = 0; r < Math.min(this.rawKpis, other.rawKpis); r++) values.push(other.counts[at + r] as number, other.sums[at + r] as number);
      this.restore(unit, other.meta[row] as number, other.periods[row] as number, values);
    }
  }

  /** Every unit, for the checkpoint format that still carried them inline (format 1). */
  load(entries: Iterable<readonly [string, number]>): void {
    for (const [unit, packed] of entries) this.restore(unit, (packed & 31) | ((packed & 31) << ROW_SHIFT) | ((packed >>> 5) << MASK_SHIFT), 0, []);
  }

  private restore(unit: string, meta: number, period: number, values: readonly number[]): void {
    const row = this.rowOf.get(unit) ?? this.newRow(unit);
    this.meta[row] = meta;
    this.periods[row] = period;
    const at = row * this.rawKpis;
    for (let r = 0; r < this.rawKpis; r++) {
      this.counts[at + r] = values[2 * r] ?? 0;
      this.sums[at + r] = values[2 * r + 1] ?? 0;
    }
  }

  private newRow(unit: string): number {
    const row = this.names.length;
    if (row === this.meta.length) this.grow();
    this.names.push(unit);
    this.rowOf.set(unit, row);
    return row;
  }

  private grow(): void {
    const capacity = this.meta.length * 2;
    const meta = new Uint32Array(capacity);
    meta.set(this.meta);
    this.meta = meta;
    const periods = new Int32Array(capacity);
    periods.set(this.periods);
    this.periods = periods;
    const counts = new Float64Array(capacity * this.rawKpis);
    counts.set(this.counts);
    this.counts = counts;
    const sums = new Float64Array(capacity * this.rawKpis);
    sums.set(this.sums);
    this.sums = sums;
  }
}
