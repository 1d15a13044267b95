import type { StatsDelta, UnitDelta } from "../domain/snapshot.js";
import { statKey } from "./arm-stats.js";

type Exposure = { readonly revision: number; readonly arm: number; readonly unit: string; readonly segment?: number };
interface Row {
  readonly unit: string;
  readonly arm: number;
  readonly revision: number;
  readonly counts: Map<number, { count: number; sum: number }>;
}

/**
 * What one instance added to an experiment since it last drained, for merging across instances
 * in scale-out: each unit's raw increments per (unit, arm) row — the metric sums are computed
 * in Redis, where the unit's whole row is, so a unit whose outcomes reach several instances is
 * counted as one unit — and every exposure (distinct units are counted where they merge).
 * Increments merge by addition, so deltas from many drains fold into one.
 */
export class StatsJournal {
  private rows = new Map<string, Row>();
  private exposures: Exposure[] = [];

  addValue(unit: string, arm: number, revision: number, raw: number, x: number): void {
    const cell = rowOf(this.rows, unit, arm, revision).counts;
    const c = cell.get(raw);
    if (c === undefined) cell.set(raw, { count: 1, sum: x });
    else {
      c.count += 1;
      c.sum += x;
    }
  }

  /** An exposure, with the unit's segment index when the experiment has segments (Redis keeps the first it hears). */
  addExposure(revision: number, arm: number, unit: string, segment = -1): void {
    this.exposures.push(segment >= 0 ? { revision, arm, unit, segment } : { revision, arm, unit });
  }

  /** Everything since the last drain; the journal starts empty again. */
  drain(): StatsDelta {
    const delta: StatsDelta = { units: [...this.rows.values()].map(toDelta), exposures: this.exposures };
    this.rows = new Map();
    this.exposures = [];
    return delta;
  }
}

/**
 * Deltas held back until they reach Redis: drained deltas folded together, unit increments added
 * and exposures deduplicated per (period, arm, unit).
 */
export class PendingDeltas {
  readonly rows = new Map<string, Row>();
  readonly exposures = new Map<string, Exposure>();

  fold(delta: StatsDelta): void {
    for (const u of delta.units) {
      const row = rowOf(this.rows, u.unit, u.arm, u.revision).counts;
      for (const v of u.values) {
        const c = row.get(v.raw);
        if (c === undefined) row.set(v.raw, { count: v.count, sum: v.sum });
        else {
          c.count += v.count;
          c.sum += v.sum;
        }
      }
    }
    for (const e of delta.exposures) this.exposures.set(statKey(e.revision, e.arm, e.unit), e);
  }

  get size(): number {
    return this.rows.size + this.exposures.size;
  }

  toDelta(): StatsDelta {
    return { units: [...this.rows.values()].map(toDelta), exposures: [...this.exposures.values()] };
  }
}

function rowOf(rows: Map<string, Row>, unit: string, arm: number, revision: number): Row {
  const key = `${arm}\u0000${unit}`;
  let row = rows.get(key);
  if (row === undefined) rows.set(key, (row = { unit, arm, revision, counts: new Map() }));
  return row;
}

function toDelta(row: Row): UnitDelta {
  return { unit: row.unit, arm: row.arm, revision: row.revision, values: [...row.counts].sort(([a], [b]) => a - b).map(([raw, c]) => ({ raw, count: c.count, sum: c.sum })) };
}
