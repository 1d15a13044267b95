import type { AllocationPeriod, CovariateMoments, Moments, UnitMoments } from "../domain/snapshot.js";

/** Running sums of one metric over units: what `change` adds to. */
export interface Sums {
  n: number;
  sum: number;
  sumSquares: number;
  den: number;
  denSquares: number;
  cross: number;
}

export const emptySums = (): Sums => ({ n: 0, sum: 0, sumSquares: 0, den: 0, denSquares: 0, cross: 0 });

/** Sums of a metric over the units that have a covariate x, with Σx, Σx², Σxy, Σxd. */
export interface CovariateSums extends Sums {
  pre: number;
  preSquares: number;
  preCross: number;
  preDen: number;
}

const emptyCovariateSums = (): CovariateSums => ({ ...emptySums(), pre: 0, preSquares: 0, preCross: 0, preDen: 0 });

/** change() for a unit with covariate x: the covariate's sums move with the unit's contribution. */
export function changeWithCovariate(s: CovariateSums, before: readonly [number, number] | null, after: readonly [number, number] | null, x: number): void {
  change(s, before, after);
  if (before) {
    s.pre -= x;
    s.preSquares -= x * x;
    s.preCross -= x * before[0];
    s.preDen -= x * before[1];
  }
  if (after) {
    s.pre += x;
    s.preSquares += x * x;
    s.preCross += x * after[0];
    s.preDen += x * after[1];
  }
}

/**
 * The one way a unit's contribution enters a metric's sums (stream, journal replays and merges):
 * it was `before` ([y, d], or null when the unit did not count) and is `after` now. Sums move by
 * the difference — for y going to y + v, Σy grows by v and Σy² by 2yv + v² — so analysis stays
 * O(arms), never O(units).
 */
export function change(s: Sums, before: readonly [number, number] | null, after: readonly [number, number] | null): void {
  if (before) {
    const [y, d] = before;
    s.n -= 1;
    s.sum -= y;
    s.sumSquares -= y * y;
    s.den -= d;
    s.denSquares -= d * d;
    s.cross -= y * d;
  }
  if (after) {
    const [y, d] = after;
    s.n += 1;
    s.sum += y;
    s.sumSquares += y * y;
    s.den += d;
    s.denSquares += d * d;
    s.cross += y * d;
  }
}

/** Adds sums that were accumulated elsewhere (another instance, an earlier batch). */
export function addSums(s: Sums, m: UnitMoments): void {
  s.n += m.n;
  s.sum += m.sum;
  s.sumSquares += m.sumSquares;
  s.den += m.den;
  s.denSquares += m.denSquares;
  s.cross += m.cross;
}

/** Plain per-observation moments as unit moments of units with one observation each (d = 1). */
export function perUnit(m: Moments): UnitMoments {
  return { n: m.n, sum: m.sum, sumSquares: m.sumSquares, den: m.n, denSquares: m.n, cross: m.sum };
}

/** The key of one (allocation period, arm, name) cell, wherever cells are kept in a map. */
export function statKey(revision: number, arm: number, name: string): string {
  return `${revision}\u0000${arm}\u0000${name}`;
}

interface Period {
  readonly revision: number;
  readonly from: number;
  readonly weights: number[];
  readonly newUnits: number[];
  readonly kpis: Map<string, Sums>[];
  readonly returning: Map<string, CovariateSums>[];
}

/**
 * Per-arm statistics of one experiment, by allocation period: units first exposed and metric
 * sums per period and arm, distinct units per arm. A period opens at every reallocation, so the
 * analysis can compare arms within periods (see stats/stratified.ts); a unit's row stays in
 * the period it began in, whenever its outcomes arrive.
 */
export class ArmStats {
  private readonly periods: Period[] = [];
  private readonly byRevision = new Map<number, Period>();
  private readonly units: number[];

  constructor(private readonly arms: number) {
    this.units = new Array<number>(arms).fill(0);
  }

  /** Opens the period that starts now with these (bucket-table) weights. */
  openPeriod(revision: number, from: number, weights: readonly number[]): void {
    const period = { revision, from, weights: [...weights], newUnits: new Array<number>(this.arms).fill(0), kpis: this.maps<Sums>(), returning: this.maps<CovariateSums>() };
    this.periods.push(period);
    this.byRevision.set(revision, period);
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

  /** The sums of `metric` for units of `arm` whose row began in period `revision` (the first period if unknown). */
  cell(revision: number, arm: number, metric: string): Sums {
    const period = this.byRevision.get(revision) ?? (this.periods[0] as Period);
    const kpis = period.kpis[arm] as Map<string, Sums>;
    let s = kpis.get(metric);
    if (s === undefined) kpis.set(metric, (s = emptySums()));
    return s;
  }

  /** The covariate sums of `metric` for those units of cell(revision, arm, metric) that have a covariate. */
  returningCell(revision: number, arm: number, metric: string): CovariateSums {
    const period = this.byRevision.get(revision) ?? (this.periods[0] as Period);
    const cells = period.returning[arm] as Map<string, CovariateSums>;
    let s = cells.get(metric);
    if (s === undefined) cells.set(metric, (s = emptyCovariateSums()));
    return s;
  }

  /** Forgets the covariate sums (a restart without the covariates they were built with). */
  dropReturning(): void {
    for (const p of this.periods) for (const cells of p.returning) cells.clear();
  }

  private maps<T>(): Map<string, T>[] {
    return Array.from({ length: this.arms }, () => new Map<string, T>());
  }

  /** Distinct units served each arm. */
  unitsPerArm(): number[] {
    return [...this.units];
  }

  /** Plain-data copies of every period (metric names in sorted order, so output is stable). */
  snapshot(): AllocationPeriod[] {
    return this.periods.map((p) => {
      const period = { revision: p.revision, from: p.from, weights: [...p.weights], newUnits: [...p.newUnits], kpis: p.kpis.map(frozen) };
      return p.returning.some((cells) => cells.size > 0) ? { ...period, returning: p.returning.map(frozenCovariates) } : period;
    });
  }

  /** Replaces everything with what a checkpoint recorded. */
  restore(periods: readonly AllocationPeriod[], unitsPerArm: readonly number[]): void {
    this.periods.length = 0;
    this.byRevision.clear();
    for (const p of periods) {
      const period = {
        revision: p.revision,
        from: p.from,
        weights: [...p.weights],
        newUnits: [...p.newUnits],
        kpis: p.kpis.map((k) => new Map(Object.entries(k).map(([name, m]) => [name, { ...emptySums(), ...m }]))),
        returning: p.returning?.map((k) => new Map(Object.entries(k).map(([name, m]) => [name, { ...emptyCovariateSums(), ...m }]))) ?? this.maps<CovariateSums>(),
      };
      this.periods.push(period);
      this.byRevision.set(p.revision, period);
    }
    unitsPerArm.forEach((n, i) => (this.units[i] = n));
  }
}

function frozen(kpis: Map<string, Sums>): Readonly<Record<string, UnitMoments>> {
  const out: Record<string, UnitMoments> = {};
  for (const name of [...kpis.keys()].sort()) {
    const m = kpis.get(name) as Sums;
    out[name] = { n: m.n, sum: m.sum, sumSquares: m.sumSquares, den: m.den, denSquares: m.denSquares, cross: m.cross };
  }
  return out;
}

function frozenCovariates(cells: Map<string, CovariateSums>): Readonly<Record<string, CovariateMoments>> {
  const out: Record<string, CovariateMoments> = {};
  for (const name of [...cells.keys()].sort()) {
    const m = cells.get(name) as CovariateSums;
    out[name] = { n: m.n, sum: m.sum, sumSquares: m.sumSquares, den: m.den, denSquares: m.denSquares, cross: m.cross, pre: m.pre, preSquares: m.preSquares, preCross: m.preCross, preDen: m.preDen };
  }
  return out;
}
