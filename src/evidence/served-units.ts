/**
 * How a unit's exposure changed what it was served: seen before in this arm (nothing new to
 * count), seen before in another arm (a new unit of this arm), or its first exposure.
 */
export type Served = "again" | "new_arm" | "new_unit";

/**
 * Who was served what in one experiment: unit → latest arm index (low 5 bits) and a bit mask
 * of every arm it was served (<< 5). An outcome without an arm finds its unit's latest arm
 * here, and distinct units are counted once per arm.
 *
 * Kept for restarts as an append-only journal of changes (`drainJournal`, one JSON line per
 * changed unit), written a little at a time, instead of the whole table in every checkpoint:
 * serialising a million units on the event loop at every tick stalled evaluations.
 */
export class ServedUnits {
  private readonly units = new Map<string, number>();
  /** Changed units and their new packed value since the last drain (encoded at drain time). */
  private changes: { units: string[]; packed: number[] } | null = null;

  get size(): number {
    return this.units.size;
  }

  /** The arm index of the unit's latest exposure, or undefined if never exposed. */
  latestArm(unit: string): number | undefined {
    const packed = this.units.get(unit);
    return packed === undefined ? undefined : packed & 31;
  }

  /** Records that `unit` was served arm `index` now. */
  record(unit: string, index: number): Served {
    const previous = this.units.get(unit);
    const bit = 1 << (index + 5);
    const packed = ((previous ?? 0) & ~31) | bit | index;
    if (packed !== previous) {
      this.units.set(unit, packed);
      if (this.changes) {
        this.changes.units.push(unit);
        this.changes.packed.push(packed);
      }
    }
    return previous === undefined ? "new_unit" : (previous & bit) === 0 ? "new_arm" : "again";
  }

  /** Starts keeping changes for drainJournal() (the daemon; simulations never restart). */
  startJournal(): void {
    this.changes ??= { units: [], packed: [] };
  }

  /**
   * The oldest `max` changes not yet drained, as NDJSON ("" for none). Bounded so that one
   * drain never holds the event loop for long: the daemon drains a little, often.
   */
  drainJournal(max = Infinity): string {
    const changes = this.changes;
    if (!changes || changes.units.length === 0) return "";
    const n = Math.min(max, changes.units.length);
    let text = "";
    for (let i = 0; i < n; i++) text += `[${JSON.stringify(changes.units[i])},${changes.packed[i]}]\n`;
    if (n === changes.units.length) this.changes = { units: [], packed: [] };
    else this.changes = { units: changes.units.slice(n), packed: changes.packed.slice(n) };
    return text;
  }

  /** Changes waiting to be drained. */
  get undrained(): number {
    return this.changes?.units.length ?? 0;
  }

  /** Replays a journal (later lines win); a torn or garbled line is skipped. Returns lines applied. */
  replay(journal: string): number {
    let applied = 0;
    for (const line of journal.split("\n")) {
      if (line === "") continue;
      try {
        const [unit, packed] = JSON.parse(line) as [unknown, unknown];
        if (typeof unit !== "string" || typeof packed !== "number" || !Number.isInteger(packed)) continue;
        this.units.set(unit, packed);
        applied++;
      } catch {
        // the last line of a journal cut by a crash
      }
    }
    return applied;
  }

  /** Takes over units another copy knows and this one does not (a replica reloaded in scale-out). */
  adopt(other: ServedUnits): void {
    for (const [unit, packed] of other.units) if (!this.units.has(unit)) this.units.set(unit, packed);
  }

  /** Every unit, for the checkpoint format that still carried them inline (format 1). */
  load(entries: Iterable<readonly [string, number]>): void {
    for (const [unit, packed] of entries) this.units.set(unit, packed);
  }
}
