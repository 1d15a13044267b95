import type { ArmQuantiles } from "./arm-quantiles.js";
import { change, changeWithCovariate, type ArmStats } from "./arm-stats.js";
import type { StatsJournal } from "./journal.js";
import type { SegmentStats } from "./segment-stats.js";
import type { ServedUnits } from "./served-units.js";
import type { UnitTotals } from "./unit-totals.js";
import { contribution, type MetricPlan, type UnitMetric } from "./unit-metrics.js";

type Contribution = readonly [number, number] | null;

/**
 * How one unit's values reach an experiment's statistics (the hot path of outcomes): the unit's
 * row aggregates move, and each metric they feed moves by the change of the unit's contribution
 * (evidence/arm-stats.ts `change`) — in the experiment's sums, its segment's, the CUPED sums of
 * the primary and the unit totals of percentile-capped sums. No allocation per outcome.
 */
export class UnitRecorder {
  /** Scale-out: what to merge into the shared statistics (null embedded). */
  journal: StatsJournal | null = null;
  /** Scratch: the metrics an outcome touches and their contributions before it. */
  private readonly touched: number[] = [];
  private readonly before: Contribution[] = [];
  private readonly stamp: Int32Array;
  private outcomes = 0;

  constructor(
    private readonly plan: MetricPlan,
    private readonly served: ServedUnits,
    private readonly stats: ArmStats,
    private readonly segments: SegmentStats | null,
    private readonly totals: UnitTotals | null,
    private readonly quantiles: ArmQuantiles,
  ) {
    this.stamp = new Int32Array(plan.metrics.length).fill(-1);
  }

  /** An outcome's values for the row of `unit` in arm `index`; `x` its covariate (NaN for none), `group` its quantile group. */
  outcome(unit: string, row: number, index: number, values: Readonly<Record<string, number>>, x: number, group: number): void {
    const plan = this.plan;
    const served = this.served;
    const at = served.slot(row);
    const sums = served.sumsOf(row);
    // Before any add: a 32-bit promotion copies, and this array keeps every count a "before" reads.
    const counts = served.countsOf(row);
    const outcome = ++this.outcomes;
    const { touched, before } = this;
    touched.length = 0;
    before.length = 0;
    for (const name in values) {
      const r = plan.rawIndex.get(name);
      if (r === undefined) continue;
      for (const m of plan.readers[r] as number[]) {
        if (this.stamp[m] === outcome) continue;
        this.stamp[m] = outcome;
        touched.push(m);
        before.push(contribution(plan.metrics[m] as UnitMetric, counts, sums, at));
      }
      const value = values[name] as number;
      served.add(row, r, value);
      if (this.quantiles.any) this.quantiles.observe(index, r, value, group);
      this.journal?.addValue(unit, index, served.rowPeriod(row), r, value);
    }
    const period = served.rowPeriod(row);
    const countsNow = served.countsOf(row);
    for (let i = 0; i < touched.length; i++) {
      const m = touched[i] as number;
      this.move(row, period, index, m, before[i] as Contribution, contribution(plan.metrics[m] as UnitMetric, countsNow, sums, at), x);
    }
  }

  /** A (unit, arm) row began: metrics every unit counts in (binomial, count, sum) count it now, at zero. */
  rowBegan(row: number, x: number): void {
    const { plan, served } = this;
    const at = served.slot(row);
    const period = served.rowPeriod(row);
    const arm = served.rowArm(row);
    for (const m of plan.everyUnit) this.move(row, period, arm, m, null, contribution(plan.metrics[m] as UnitMetric, served.countsOf(row), served.sumsOf(row), at), x);
  }

  /** Metric `m` of the row's unit went from `before` to `after` (null: not counted). */
  private move(row: number, period: number, arm: number, m: number, before: Contribution, after: Contribution, x: number): void {
    const metric = this.plan.metrics[m] as UnitMetric;
    change(this.stats.cell(period, arm, metric.name), before, after);
    if (this.segments) change(this.segments.of(this.served.rowSegment(row)).cell(period, arm, metric.name), before, after);
    // The primary (metric 0) of a unit with a covariate also moves the CUPED sums.
    if (m === 0 && x === x) changeWithCovariate(this.stats.returningCell(period, arm, metric.name), before, after, x);
    if (this.totals && metric.capPercentile === metric.capPercentile) this.totals.move(metric.name, period, arm, before?.[0] ?? null, after?.[0] ?? null);
  }
}
