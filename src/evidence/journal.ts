import type { StatsDelta } from "../domain/snapshot.js";
import { accumulate, addSums, statKey, type Sums } from "./arm-stats.js";

type KpiCell = Sums & { readonly revision: number; readonly arm: number; readonly kpi: string };
type Exposure = { readonly revision: number; readonly arm: number; readonly unit: string };

/**
 * What one instance added to an experiment since it last drained, for merging across instances
 * in scale-out: KPI sums per (period, arm, KPI) and every exposure (distinct units are counted
 * where they merge). Sums merge by addition, so deltas from many drains fold into one.
 */
export class StatsJournal {
  private kpis = new Map<string, KpiCell>();
  private exposures: Exposure[] = [];

  addKpi(revision: number, arm: number, kpi: string, x: number): void {
    accumulate(cellOf(this.kpis, revision, arm, kpi), x);
  }

  addExposure(revision: number, arm: number, unit: string): void {
    this.exposures.push({ revision, arm, unit });
  }

  /** Everything since the last drain; the journal starts empty again. */
  drain(): StatsDelta {
    const delta: StatsDelta = { kpis: [...this.kpis.values()].map(({ revision, arm, kpi, n, sum, sumSquares }) => ({ revision, arm, kpi, n, sum, sumSquares })), exposures: this.exposures };
    this.kpis = new Map();
    this.exposures = [];
    return delta;
  }
}

/**
 * Deltas held back until they reach Redis: drained deltas folded together, KPI sums added and
 * exposures deduplicated per (period, arm, unit).
 */
export class PendingDeltas {
  readonly kpis = new Map<string, KpiCell>();
  readonly exposures = new Map<string, Exposure>();

  fold(delta: StatsDelta): void {
    for (const k of delta.kpis) addSums(cellOf(this.kpis, k.revision, k.arm, k.kpi), k);
    for (const e of delta.exposures) this.exposures.set(statKey(e.revision, e.arm, e.unit), e);
  }

  get size(): number {
    return this.kpis.size + this.exposures.size;
  }

  toDelta(): StatsDelta {
    return { kpis: [...this.kpis.values()], exposures: [...this.exposures.values()] };
  }
}

function cellOf(cells: Map<string, KpiCell>, revision: number, arm: number, kpi: string): KpiCell {
  const key = statKey(revision, arm, kpi);
  let cell = cells.get(key);
  if (cell === undefined) cells.set(key, (cell = { revision, arm, kpi, n: 0, sum: 0, sumSquares: 0 }));
  return cell;
}
