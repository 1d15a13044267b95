import type { ConfigValues } from "./values.js";

export type KpiKind = "proportion" | "mean";
export type Direction = "increase" | "decrease";

/**
 * How a KPI is aggregated per unit before the units are compared (docs/decisions.md):
 * - `per_outcome` (the default): the KPI's per-unit sum over the unit's count of outcomes that
 *   report it — a rate per outcome (conversions per visit, mean latency per request) analysed
 *   as a ratio of per-unit sums with the delta method;
 * - `binomial`: 1 when the unit reported a non-zero value at least once, else 0;
 * - `count`: the unit's total of a KPI reported as non-negative integers (orders, sessions);
 * - `sum`: the unit's total (capped at `cap`, or at the `capPercentile` of units' totals);
 * - `unit_mean`: the mean of the unit's values (units with none do not count);
 * - `ratio`: the unit's sum of `numerator` over its sum of `denominator` (both reported KPIs);
 * - `quantile` (guardrails): the `quantile` of all outcomes' values of `of` (or of the KPI
 *   itself), with a standard error valid for clustered data (evidence/quantile-sketch.ts).
 */
export type MetricType = "per_outcome" | "binomial" | "count" | "sum" | "unit_mean" | "ratio" | "quantile";

/** A KPI's per-unit aggregation; `kpi` names the metric (for a ratio it is not reported itself). */
export interface MetricSpec {
  readonly metric: MetricType;
  readonly numerator?: string;
  readonly denominator?: string;
  /** Per-unit cap of a `sum` (winsorisation at a fixed value). */
  readonly cap?: number;
  /** Per-unit cap of a `sum` at this percentile of the units' totals (evidence/unit-totals.ts). */
  readonly capPercentile?: number;
  /** A quantile metric's quantile (0.99 = p99) and the reported KPI it reads (default: `kpi`). */
  readonly quantile?: number;
  readonly of?: string;
}

/** The KPI a candidate must improve. `minLift` is relative (0.01 = 1 %). */
export interface PrimaryKpi extends MetricSpec {
  readonly kpi: string;
  readonly kind: KpiKind;
  readonly direction: Direction;
  readonly minLift: number;
}

/** A KPI a candidate must not degrade by more than `tolerance` (relative, 0.05 = 5 %). */
export interface GuardrailKpi extends MetricSpec {
  readonly kpi: string;
  readonly kind: KpiKind;
  readonly direction: Direction;
  readonly tolerance: number;
  /**
   * Circuit breaker: a proportion KPI above this absolute level over the sliding window pulls
   * the arm at once, without waiting for statistics.
   */
  readonly hardLimit?: number;
}

export interface CanaryPolicy {
  /** Total traffic share of all candidates at each ramp step, ascending, ending ≤ 1. */
  readonly steps: readonly number[];
  /** Units every candidate arm must have seen at a step before the ramp moves on. */
  readonly minUnitsPerStep: number;
}

export interface ScreeningPolicy {
  /** Scenario file (relative to the target file) whose response model screens candidates. */
  readonly scenario: string | null;
  /** Simulated units per arm in screening. */
  readonly unitsPerArm: number;
}

/** How live traffic is split between the baseline and the candidates. */
export interface AllocationPolicy {
  /** thompson: weights = probability to be best; top-two: top-two Thompson shares; fixed: equal split. */
  readonly mode: "thompson" | "top-two" | "ucb" | "epsilon-greedy" | "fixed";
  /** epsilon-greedy: the share explored, spread equally. */
  readonly epsilon: number;
  /** Smallest weight of every live arm. */
  readonly floor: number;
  /**
   * Smallest weight of the baseline: every decision compares a candidate with the baseline,
   * and a starved baseline starves that comparison of power.
   */
  readonly baselineFloor: number;
  /** Top-two: chance of serving the leader; the challenger gets the rest. */
  readonly topTwoBeta: number;
  /** Monte-Carlo draws per allocation update. */
  readonly draws: number;
  /** Units every live arm needs before the bandit moves weights (equal split until then). */
  readonly burnInUnits: number;
  /** Weights move only when the total-variation distance to the current ones reaches this. */
  readonly minChange: number;
}

export interface Policy {
  readonly seed: string;
  /** The KPI stage failures are reported on (docs/stages.md). */
  readonly errorKpi: string;
  readonly primary: PrimaryKpi;
  readonly guardrails: readonly GuardrailKpi[];
  readonly alpha: number;
  readonly candidatesPerGeneration: number;
  /** Screening survivors that go live per generation (best simulated primary first). */
  readonly liveCandidates: number;
  readonly minUnitsPerArm: number;
  /** Budget: an experiment ends inconclusive after maxUnitsPerArm × arms units in total. */
  readonly maxUnitsPerArm: number;
  readonly canary: CanaryPolicy;
  readonly screening: ScreeningPolicy;
  readonly allocation: AllocationPolicy;
  /** Virtual or wall milliseconds between analysis ticks. */
  readonly analysisEveryMs: number;
  /** Tuning N* of the mixture sequential test: the sample size at which it is tightest. */
  readonly sequentialTuning: number;
  /** Generations to run; 0 means keep going forever (the daemon). */
  readonly maxGenerations: number;
  /** KPIs accumulated for reports besides the primary and guardrails; other KPIs are ignored. */
  readonly trackedKpis: readonly string[];
  /** Variance reduction of the primary KPI by the units' earlier values (stats/cuped.ts). */
  readonly cuped: CupedPolicy;
  /** How candidates are proposed, and how long a promising experiment may run (search/). */
  readonly search: SearchPolicy;
  /**
   * Who takes part: a JsonLogic rule over the unit's evaluation context (targeting/audience.ts);
   * units outside it are served the baseline, not exposed and not counted. null: every unit.
   */
  readonly audience: AudienceRule | null;
  /** When experiments may take traffic (targeting/schedule.ts); null: always. */
  readonly schedule: Schedule | null;
  /**
   * Named segments, first match wins (targeting/segments.ts): each unit is kept in the segment
   * of its first exposure, and every arm's KPIs are broken down by segment. Empty: none.
   */
  readonly segments: readonly SegmentRule[];
  /**
   * Per-segment baselines: a candidate that wins in some segments is committed for those only,
   * and every segment ("other" included) serves its own baseline (lifecycle/segment-commits.ts).
   */
  readonly segmentBaselines: boolean;
}

/** A named segment: the units whose context its rule accepts (and no earlier segment's). */
export interface SegmentRule {
  readonly name: string;
  readonly rule: AudienceRule;
}

/** A validated JsonLogic rule, as written in the target file (JSON, so status views show it). */
export type AudienceRule = boolean | number | string | null | readonly AudienceRule[] | { readonly [operator: string]: AudienceRule };

/** A window of days and times of day in which experiments take traffic (minutes of the day, in the schedule's time zone). */
export interface ScheduleWindow {
  /** Bit d is day d of the week, 0 = Sunday. */
  readonly days: number;
  /** Start, inclusive, and end, exclusive; an end before the start crosses midnight (the window belongs to its start's day). */
  readonly from: number;
  readonly to: number;
}

/** An experiment schedule as plain data (targeting/schedule.ts parses the target file's form). */
export interface Schedule {
  /** Epoch milliseconds: no experiment starts before, and one still live ends at endAt. */
  readonly startAt?: number;
  readonly endAt?: number;
  /** IANA time zone of the windows. */
  readonly timeZone: string;
  /** Empty: every day, all day. */
  readonly windows: readonly ScheduleWindow[];
  /** Wall-clock (injected clock) duration after which a live experiment ends. */
  readonly maxDurationMs?: number;
}

export interface SearchPolicy {
  /** surrogate: mutations ranked by a model of every experiment's evidence; mutation: plain; random: reference. */
  readonly strategy: "surrogate" | "mutation" | "random";
  /** Share of a surrogate generation's candidates that are plain mutations. */
  readonly explore: number;
  /** Mutations and recombinations the surrogate ranks per generation. */
  readonly pool: number;
  /** Chance to beat the baseline at which an arm extends the budget. */
  readonly extendChance: number;
  /** Largest multiple of the budget an extended experiment may run. */
  readonly extendFactor: number;
}

export interface CupedPolicy {
  readonly enabled: boolean;
  /** Units whose earlier value is kept between experiments (evidence/earlier-values.ts). */
  readonly maxUnits: number;
}

/** One leaf of a target's schema, after validation of the target file. */
export type SchemaLeaf =
  | { readonly path: string; readonly kind: "integer"; readonly min: number; readonly max: number; readonly doc: string }
  | { readonly path: string; readonly kind: "number"; readonly min: number; readonly max: number; readonly doc: string }
  | { readonly path: string; readonly kind: "boolean"; readonly doc: string }
  | { readonly path: string; readonly kind: "enum"; readonly values: readonly (string | number)[]; readonly doc: string }
  /** `stage`: the registry is a pipeline stage's; its values are the stage's version ids. */
  | { readonly path: string; readonly kind: "function"; readonly registry: string; readonly stage?: string; readonly doc: string }
  | { readonly path: string; readonly kind: "weights"; readonly length: number; readonly doc: string };

export type MutationSpec =
  | { readonly path: string; readonly op: "swap"; readonly probability: number; readonly values: readonly (string | number)[] }
  | {
      readonly path: string;
      readonly op: "nudge";
      readonly probability: number;
      /** Largest step, in the leaf's units; the step drawn is uniform in [-maxStep, maxStep]. */
      readonly maxStep: number;
      /** Quantisation of the result (1 for integers). */
      readonly step: number;
    }
  | { readonly path: string; readonly op: "flip"; readonly probability: number }
  | {
      readonly path: string;
      readonly op: "reweight";
      readonly probability: number;
      /** Standard deviation of the multiplicative log-normal jitter applied to each weight. */
      readonly sigma: number;
      /** Smallest weight after renormalising. */
      readonly floor: number;
    }
  | { readonly path: string; readonly op: "substitute"; readonly probability: number; readonly registry: string };

/** A validated target file. */
export interface Target {
  readonly name: string;
  readonly description: string;
  readonly schema: readonly SchemaLeaf[];
  readonly functions: Readonly<Record<string, readonly string[]>>;
  /** Registries backed by a pipeline stage: registry → stage id (their `functions` lists are empty; docs/stages.md). */
  readonly stages?: Readonly<Record<string, string>>;
  /** Public keys of browser SDKs: they may sync this target's serving state and send its events, nothing else (docs/sdk.md). */
  readonly clientKeys?: readonly string[];
  readonly baseline: ConfigValues;
  readonly mutations: readonly MutationSpec[];
  readonly policy: Policy;
  /** File it was loaded from (for resolving relative paths), or null. */
  readonly source: string | null;
}
