import type { AllocationRecord } from "../assign/allocation.js";
import type { LiveStatus, PauseCause } from "../domain/experiment.js";
import type { AllocationPeriod, SegmentStatistics } from "../domain/snapshot.js";
import type { AudienceRule, SegmentRule } from "../domain/target.js";
import type { Version, VersionId } from "../domain/version.js";
import type { BreakerRule } from "../evidence/breakers.js";
import type { EarlierValues } from "../evidence/earlier-values.js";
import type { KpiRules } from "../evidence/kpi-rules.js";
import type { MetricPlan } from "../evidence/unit-metrics.js";

/** What the lifecycle knows of a live experiment that its evidence does not: status and ramp step. */
export interface LifecycleView {
  readonly status: LiveStatus;
  readonly canaryStep: number;
  /** Why it is paused (absent or empty while it takes traffic). */
  readonly paused?: readonly PauseCause[];
}

/** A live experiment's state as JSON (the runtime's checkpoint; scale-out's shared allocation). */
export interface ExperimentCheckpoint extends AllocationRecord {
  /**
   * 3: per-unit metric statistics, who was served what (and each unit's aggregates) in the
   * served journal. 2 and 1 counted outcomes (1 carried the units inline): such an experiment is
   * closed as killed at restore, not resumed.
   */
  readonly format: 1 | 2 | 3;
  readonly id: string;
  readonly generation: number;
  readonly arms: readonly VersionId[];
  readonly status: LiveStatus;
  readonly canaryStep: number;
  /** Why it is paused, when it is: it stays paused across a restart (and on every instance). */
  readonly paused?: readonly PauseCause[];
  readonly unitsPerArm: readonly number[];
  readonly periods: readonly AllocationPeriod[];
  readonly served?: readonly (readonly [string, number])[];
  /** The EarlierValues source the covariate sums were built with (CUPED); absent for none. */
  readonly covariates?: string;
  /** Per-segment statistics (evidence/segment-stats.ts), when the policy names segments. */
  readonly segments?: readonly SegmentStatistics[];
  /** Quantile sketches per arm and metric name (evidence/quantile-sketch.ts encode()). */
  readonly quantiles?: readonly Readonly<Record<string, number[][]>>[];
}

export interface ExperimentSpec {
  readonly id: string;
  readonly target: string;
  readonly generation: number;
  /** Baseline first. */
  readonly arms: readonly Version[];
  readonly weights: readonly number[];
  readonly now: number;
  readonly kpis: KpiRules;
  /** The metrics computed per unit (evidence/unit-metrics.ts metricPlan). */
  readonly metrics: MetricPlan;
  readonly breakers?: readonly BreakerRule[];
  /** Who takes part (absent or null: every unit): a JsonLogic rule over the evaluation context. */
  readonly audience?: AudienceRule | null;
  /** Segments the statistics are broken down by (absent or empty: none). */
  readonly segments?: readonly SegmentRule[];
  /** Earlier values of the primary metric: CUPED covariates of the units that come back. */
  readonly covariates?: EarlierValues;
  /**
   * Rows the previous experiment of the target ended with: the unit index starts that large,
   * so a generation as big as the last does not grow it by doubling (each doubling left the
   * smaller index as garbage the allocator kept).
   */
  readonly expectedRows?: number;
  /**
   * Other versions that name the baseline arm: with per-segment baselines, a unit of a segment
   * with its own baseline is served that version in the baseline arm, and its events may name it.
   */
  readonly aliases?: readonly VersionId[];
}
