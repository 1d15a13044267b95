import type { MetricSpec, MetricType, Policy } from "../domain/target.js";

/**
 * The metrics of an experiment as plain data: which reported KPIs ("raw" KPIs, kept per unit as
 * a count and a sum) each metric is computed from, and how (domain/target.ts MetricType). Every
 * unit contributes one pair (y, d) to each metric; an arm's estimate is Σy / Σd over its units
 * (stats/ratio.ts), so a per-unit metric is the case d = 1.
 */
export interface UnitMetric {
  readonly name: string;
  readonly type: MetricType;
  /** Index of the raw KPI the metric reads (the numerator of a ratio). */
  readonly raw: number;
  /** Index of a ratio's denominator raw KPI (-1 otherwise). */
  readonly denominator: number;
  readonly cap: number;
  /** A quantile metric's quantile (NaN otherwise). */
  readonly quantile: number;
  /** A sum's cap percentile (NaN otherwise): its cells are capped at each tick (evidence/unit-totals.ts). */
  readonly capPercentile: number;
}

export interface MetricPlan {
  /** Reported KPI names, in slot order: a unit keeps (count, sum) for each. */
  readonly raw: readonly string[];
  readonly rawIndex: ReadonlyMap<string, number>;
  readonly metrics: readonly UnitMetric[];
  /** For each raw KPI, the metrics that read it. */
  readonly readers: readonly (readonly number[])[];
  /** Metrics every unit of an arm counts in from its first exposure (binomial, count, sum). */
  readonly everyUnit: readonly number[];
  /** Quantile metrics: each raw KPI's outcomes also go to these metrics' sketches. */
  readonly quantiles: readonly number[];
  /** Sum metrics capped at a percentile. */
  readonly percentileCapped: readonly number[];
}

/** The metric plan of a policy: primary, guardrails, then tracked KPIs (as per-outcome rates). */
export function metricPlan(policy: Policy): MetricPlan {
  const raw: string[] = [];
  const rawIndex = new Map<string, number>();
  const slot = (name: string): number => {
    let i = rawIndex.get(name);
    if (i === undefined) rawIndex.set(name, (i = raw.push(name) - 1));
    return i;
  };
  const metrics: UnitMetric[] = [];
  const add = (name: string, k: MetricSpec): void => {
    if (metrics.some((m) => m.name === name)) return;
    const type = k.metric ?? "per_outcome";
    const reads = type === "ratio" ? (k.numerator as string) : type === "quantile" ? (k.of ?? name) : name;
    metrics.push({ name, type, raw: slot(reads), denominator: type === "ratio" ? slot(k.denominator as string) : -1, cap: k.cap ?? Infinity, quantile: k.quantile ?? NaN, capPercentile: k.capPercentile ?? NaN });
  };
  for (const k of [policy.primary, ...policy.guardrails]) add(k.kpi, k);
  for (const kpi of policy.trackedKpis) add(kpi, { metric: "per_outcome" });
  const readers = raw.map((_, r) => metrics.flatMap((m, i) => (m.raw === r || m.denominator === r ? [i] : [])));
  const everyUnit = metrics.flatMap((m, i) => (m.type === "binomial" || m.type === "count" || m.type === "sum" ? [i] : []));
  const quantiles = metrics.flatMap((m, i) => (m.type === "quantile" ? [i] : []));
  const percentileCapped = metrics.flatMap((m, i) => (Number.isNaN(m.capPercentile) ? [] : [i]));
  return { raw, rawIndex, metrics, readers, everyUnit, quantiles, percentileCapped };
}

/**
 * What one unit contributes to a metric, from its raw slots (`counts[r]`, `sums[r]`):
 * [y, d], or null when the unit does not count in it yet (no value for a per-outcome rate, a
 * unit mean or a ratio). The Lua script of store/redis-stats.ts computes the same.
 */
export function contribution(m: UnitMetric, counts: ArrayLike<number>, sums: ArrayLike<number>, at: number): readonly [number, number] | null {
  const c = counts[at + m.raw] as number;
  const y = sums[at + m.raw] as number;
  switch (m.type) {
    // A quantile metric's cells hold its mean per outcome (its quantile is the sketch's).
    case "quantile":
    case "per_outcome":
      return c > 0 ? [y, c] : null;
    case "binomial":
      return [y !== 0 ? 1 : 0, 1];
    case "count":
      return [y, 1];
    case "sum":
      return [Math.min(y, m.cap), 1];
    case "unit_mean":
      return c > 0 ? [y / c, 1] : null;
    case "ratio": {
      const cd = counts[at + m.denominator] as number;
      return c > 0 || cd > 0 ? [y, sums[at + m.denominator] as number] : null;
    }
  }
}
