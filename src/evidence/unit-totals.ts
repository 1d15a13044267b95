import type { AllocationPeriod, UnitMoments } from "../domain/snapshot.js";
import { binOf, binUpperEdge } from "./quantile-sketch.js";
import type { ServedUnits } from "./served-units.js";
import { contribution, type MetricPlan, type UnitMetric } from "./unit-metrics.js";

/** One bin of unit totals: units, Σy, Σy². */
type Bin = Float64Array;

/** A (period, arm) cell as one number: no string is built per outcome (arms are fewer than 64). */
const cellKey = (revision: number, arm: number): number => revision * 64 + arm;

/**
 * Per-unit totals of the `sum` metrics capped at a percentile (`capPercentile`, winsorisation
 * as GrowthBook does it): for each (period, arm) cell a sparse histogram of the units' totals
 * — 1 %-wide logarithmic bins (evidence/quantile-sketch.ts), each with its units, Σy and Σy² —
 * kept up to date as a unit's total moves. At each tick the cap c is read from the histogram
 * pooled over arms and periods: the upper edge of the bin holding the percentile (at most 1 %
 * above it). Units in lower bins and in that bin keep their exact totals, units above count as
 * c, so the capped sums are exact for that c — one O(bins) pass per tick, no O(units) pass.
 * Totals must be non-negative (evidence/kpi-rules.ts).
 */
export class UnitTotals {
  /** metric name → cellKey(period, arm) → bin → [units, Σy, Σy²]. */
  private readonly cells = new Map<string, Map<number, Map<number, Bin>>>();

  /** A unit's total of `metric` in cell (revision, arm) went from `before` to `after` (null: not counted). */
  move(metric: string, revision: number, arm: number, before: number | null, after: number | null): void {
    let byCell = this.cells.get(metric);
    if (!byCell) this.cells.set(metric, (byCell = new Map()));
    const key = cellKey(revision, arm);
    let bins = byCell.get(key);
    if (!bins) byCell.set(key, (bins = new Map()));
    if (before !== null) shift(bins, before, -1);
    if (after !== null) shift(bins, after, 1);
  }

  /**
   * The capped unit moments of `metric` in every cell, by cellKey(revision, arm), and the cap
   * used; null when no unit has a total yet.
   */
  capped(metric: string, percentile: number): { readonly cap: number; readonly cells: ReadonlyMap<number, UnitMoments> } | null {
    const byCell = this.cells.get(metric);
    if (!byCell) return null;
    const pooled = new Map<number, number>();
    let units = 0;
    for (const bins of byCell.values())
      for (const [b, bin] of bins) {
        pooled.set(b, (pooled.get(b) ?? 0) + (bin[0] as number));
        units += bin[0] as number;
      }
    if (units <= 0) return null;
    const ordered = [...pooled.keys()].sort((a, b) => a - b);
    let below = 0;
    let capBin = ordered[ordered.length - 1] as number;
    for (const b of ordered) {
      below += pooled.get(b) as number;
      if (below >= percentile * units) {
        capBin = b;
        break;
      }
    }
    const cap = binUpperEdge(capBin);
    const cells = new Map<number, UnitMoments>();
    for (const [key, bins] of byCell) {
      let n = 0;
      let sum = 0;
      let sumSquares = 0;
      for (const [b, bin] of bins) {
        const c = bin[0] as number;
        n += c;
        if (b <= capBin) {
          sum += bin[1] as number;
          sumSquares += bin[2] as number;
        } else {
          sum += c * cap;
          sumSquares += c * cap * cap;
        }
      }
      cells.set(key, { n, sum, sumSquares, den: n, denSquares: n, cross: sum });
    }
    return { cap, cells };
  }

  /** The periods (plain data, changed in place) with every percentile-capped sum capped now. */
  capPeriods(periods: AllocationPeriod[], plan: MetricPlan): AllocationPeriod[] {
    for (const m of plan.percentileCapped) {
      const metric = plan.metrics[m] as UnitMetric;
      const capped = this.capped(metric.name, metric.capPercentile);
      if (!capped) continue;
      for (const period of periods)
        period.kpis.forEach((kpis, arm) => {
          const cell = capped.cells.get(cellKey(period.revision, arm));
          if (cell) (kpis as Record<string, UnitMoments>)[metric.name] = cell;
        });
    }
    return periods;
  }

  /** Takes every row's totals (a restart: the served journal replayed). */
  rebuild(served: ServedUnits, plan: MetricPlan): void {
    for (let row = 0; row < served.size; row++)
      for (const m of plan.percentileCapped) {
        const metric = plan.metrics[m] as UnitMetric;
        const c = contribution(metric, served.countsOf(row), served.sumsOf(row), served.slot(row));
        this.move(metric.name, served.rowPeriod(row), served.rowArm(row), null, c?.[0] ?? null);
      }
  }
}

function shift(bins: Map<number, Bin>, y: number, by: 1 | -1): void {
  const b = binOf(y);
  let bin = bins.get(b);
  if (!bin) bins.set(b, (bin = new Float64Array(3)));
  bin[0] = (bin[0] as number) + by;
  bin[1] = (bin[1] as number) + by * y;
  bin[2] = (bin[2] as number) + by * y * y;
}
