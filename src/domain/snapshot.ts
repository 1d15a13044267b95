import type { ExperimentStatus } from "./experiment.js";
import type { VersionId } from "./version.js";

/** Sufficient statistics of one KPI in one arm (see stats/moments.ts for the arithmetic). */
export interface Moments {
  readonly n: number;
  readonly sum: number;
  readonly sumSquares: number;
}

/** One allocation period: weights were constant from `from` until the next period began. */
export interface AllocationPeriod {
  readonly revision: number;
  readonly from: number;
  /** Weight of every arm (same order as the snapshot's arms). */
  readonly weights: readonly number[];
  /** Units first exposed in this period, per arm (the SRM check compares them to the weights). */
  readonly newUnits: readonly number[];
  /** KPI statistics of outcomes in this period, per arm, per KPI name. */
  readonly kpis: readonly Readonly<Record<string, Moments>>[];
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
}

/**
 * What an instance added since its last drain, for merging across instances: KPI sums per
 * (period revision, arm, KPI) and every exposure (distinct units are counted where they merge).
 */
export interface StatsDelta {
  readonly kpis: readonly { readonly revision: number; readonly arm: number; readonly kpi: string; readonly n: number; readonly sum: number; readonly sumSquares: number }[];
  readonly exposures: readonly { readonly revision: number; readonly arm: number; readonly unit: string }[];
}
