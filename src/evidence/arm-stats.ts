import type { AllocationPeriod, Moments } from "../domain/snapshot.js";

/** Running sums of one KPI: what `accumulate` adds to. */
export interface Sums {
  n: number;
  sum: number;
  sumSquares: number;
}

/** The one way an observation enters sufficient statistics (hot path, journal and merges). */
export function accumulate(s: Sums, x: number): void {
  s.n += 1;
  s.sum += x;
  s.sumSquares += x * x;
}

/** Adds sums that were accumulated elsewhere (another instance, an earlier batch). */
export function addSums(s: Sums, m: Moments): void {
  s.n += m.n;
  s.sum += m.sum;
  s.sumSquares += m.sumSquares;
}

/** The key of one (allocation period, arm, KPI) cell, wherever cells are kept in a map. */
export function statKey(revision: number, arm: number, kpi: string): string {
  return `${revision}\u0000${arm}\u0000${kpi}`;
}

interface Period {
  readonly revision: number;
  readonly from: number;
  readonly weights: number[];
  readonly newUnits: number[];
  readonly kpis: Map<string, Sums>[];
}

/**
 * Per-arm statistics of one experiment, by allocation period: units first exposed and KPI sums
 * per period and arm, distinct units per arm. A period opens at every reallocation, so the
 * analysis can compare arms within periods (see stats/stratified.ts).
 */
export class ArmStats {
  private readonly periods: Period[] = [];
  private readonly units: number[];

  constructor(private readonly arms: number) {
    this.units = new Array<number>(arms).fill(0);
  }

  /** Opens the period that starts now with these (bucket-table) weights. */
  openPeriod(revision: number, from: number, weights: readonly number[]): void {
    this.periods.push({ revision, from, weights: [...weights], newUnits: new Array<number>(this.arms).fill(0), kpis: Array.from({ length: this.arms }, () => new Map()) });
  }

  private get current(): Period {
    return this.periods[this.periods.length - 1] as Period;
  }

  /** When the period under way began. */
  get periodStart(): number {
    return this.current.from;
  }

  /** Weights of the period under way. */
  get weights(): readonly number[] {
    return this.current.weights;
  }

  /** A unit served `arm`: new to the experiment, or new to this arm only. */
  countUnit(arm: number, firstExposure: boolean): void {
    if (firstExposure) this.current.newUnits[arm] = (this.current.newUnits[arm] as number) + 1;
    this.units[arm] = (this.units[arm] as number) + 1;
  }

  /** One observation of `kpi` in `arm`, in the period under way. */
  add(arm: number, kpi: string, x: number): void {
    const kpis = this.current.kpis[arm] as Map<string, Sums>;
    let s = kpis.get(kpi);
    if (s === undefined) kpis.set(kpi, (s = { n: 0, sum: 0, sumSquares: 0 }));
    accumulate(s, x);
  }

  /** Distinct units served each arm. */
  unitsPerArm(): number[] {
    return [...this.units];
  }

  /** Plain-data copies of every period (KPI names in sorted order, so output is stable). */
  snapshot(): AllocationPeriod[] {
    return this.periods.map((p) => ({ revision: p.revision, from: p.from, weights: [...p.weights], newUnits: [...p.newUnits], kpis: p.kpis.map(frozen) }));
  }

  /** Replaces everything with what a checkpoint recorded. */
  restore(periods: readonly AllocationPeriod[], unitsPerArm: readonly number[]): void {
    this.periods.length = 0;
    for (const p of periods)
      this.periods.push({
        revision: p.revision,
        from: p.from,
        weights: [...p.weights],
        newUnits: [...p.newUnits],
        kpis: p.kpis.map((k) => new Map(Object.entries(k).map(([name, m]) => [name, { n: m.n, sum: m.sum, sumSquares: m.sumSquares }]))),
      });
    unitsPerArm.forEach((n, i) => (this.units[i] = n));
  }
}

function frozen(kpis: Map<string, Sums>): Readonly<Record<string, Moments>> {
  const out: Record<string, Moments> = {};
  for (const name of [...kpis.keys()].sort()) {
    const m = kpis.get(name) as Sums;
    out[name] = { n: m.n, sum: m.sum, sumSquares: m.sumSquares };
  }
  return out;
}
