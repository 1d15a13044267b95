import type { ExperimentStatus } from "./experiment.js";
import type { VersionId } from "./version.js";

/** Sufficient statistics of one KPI in one arm (see stats/moments.ts for the arithmetic). */
export interface Moments {
  readonly n: number;
  readonly sum: number;
  readonly sumSquares: number;
}

/**
 * Sufficient statistics of one metric in one arm and period, over units: each unit contributes
 * a pair (y, d) (evidence/unit-metrics.ts), and the arm's estimate is Σy / Σd with the
 * delta-method variance (stats/ratio.ts). For a per-unit metric d = 1, so den = denSquares = n
 * and cross = sum.
 */
export interface UnitMoments {
  /** Units that count in the metric. */
  readonly n: number;
  readonly sum: number;
  readonly sumSquares: number;
  readonly den: number;
  readonly denSquares: number;
  /** Σ y·d. */
  readonly cross: number;
}

/**
 * Unit statistics of a metric over the units that have a pre-exposure covariate x (their value
 * of the metric in an earlier experiment), with the covariate's sums: what CUPED adjusts with
 * (stats/cuped.ts).
 */
export interface CovariateMoments extends UnitMoments {
  /** Σx, Σx², Σx·y, Σx·d over the units. */
  readonly pre: number;
  readonly preSquares: number;
  readonly preCross: number;
  readonly preDen: number;
}

/** One allocation period: weights were constant from `from` until the next period began. */
export interface AllocationPeriod {
  readonly revision: number;
  readonly from: number;
  /** Weight of every arm (same order as the snapshot's arms). */
  readonly weights: readonly number[];
  /** Units first exposed in this period, per arm (the SRM check compares them to the weights). */
  readonly newUnits: readonly number[];
  /** Metric statistics of the units whose row began in this period, per arm, per metric name. */
  readonly kpis: readonly Readonly<Record<string, UnitMoments>>[];
  /**
   * The same for the units among them that have a covariate (the primary metric, when CUPED is
   * on): a part of `kpis`, per arm. Absent when no unit had one.
   */
  readonly returning?: readonly Readonly<Record<string, CovariateMoments>>[];
}

/** An arm pulled by its circuit breaker: a KPI's sliding-window mean crossed its hard limit. */
export interface BreakerTrip {
  readonly arm: VersionId;
  readonly kpi: string;
  readonly rate: number;
  readonly limit: number;
  readonly n: number;
  readonly at: number;
}

/** What the analysis tick sees of a live experiment: plain data, copied out of the stream. */
export interface ExperimentSnapshot {
  readonly experiment: string;
  readonly target: string;
  readonly generation: number;
  readonly status: ExperimentStatus;
  readonly at: number;
  /** Baseline first. */
  readonly arms: readonly VersionId[];
  /** Arms pulled from traffic (rolled back individually). */
  readonly pulled: readonly VersionId[];
  /** Index into the policy's canary steps. */
  readonly canaryStep: number;
  /** Distinct units served each arm so far. */
  readonly units: readonly number[];
  readonly periods: readonly AllocationPeriod[];
  /** Circuit-breaker trips since the previous tick (the arms are already out of traffic). */
  readonly trips: readonly BreakerTrip[];
  /** Quantile metrics per arm (null before an arm has outcomes); absent without any. */
  readonly quantiles?: readonly Readonly<Record<string, QuantileReading | null>>[];
  /** The same units and periods broken down by segment (the policy's, then "other"); absent without segments. */
  readonly segments?: readonly SegmentStatistics[];
}

/** One segment's share of an experiment's statistics. */
export interface SegmentStatistics {
  readonly segment: string;
  /** Distinct units of the segment served each arm. */
  readonly units: readonly number[];
  readonly periods: readonly AllocationPeriod[];
}

/**
 * A quantile metric in one arm: its quantile over all outcomes and the same quantile in each
 * of the random groups its units are split into (evidence/quantile-sketch.ts).
 */
export interface QuantileReading {
  readonly outcomes: number;
  readonly estimate: number;
  readonly groups: readonly number[];
}

/** What one unit's row gained since the last drain: per raw KPI (its index), outcomes and their sum. */
export interface UnitDelta {
  readonly unit: string;
  readonly arm: number;
  /** The allocation period the row began in (when this drain created it). */
  readonly revision: number;
  readonly values: readonly { readonly raw: number; readonly count: number; readonly sum: number }[];
}

/**
 * What an instance added since its last drain, for merging across instances: every unit's raw
 * increments (the metric cells are computed where a unit's whole row is, in Redis) and every
 * exposure (distinct units are counted where they merge).
 */
export interface StatsDelta {
  readonly units: readonly UnitDelta[];
  /** With segments, `segment` is the index the exposing instance read from the unit's context (-1 or absent: none, "other"). */
  readonly exposures: readonly { readonly revision: number; readonly arm: number; readonly unit: string; readonly segment?: number }[];
}
