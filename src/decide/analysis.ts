import type { BreakerTrip, ExperimentSnapshot, UnitMoments } from "../domain/snapshot.js";
import type { Direction, GuardrailKpi, Policy } from "../domain/target.js";
import type { VersionId } from "../domain/version.js";
import { compareEffect, oneSidedBound, type CompareOptions, type Comparison } from "../stats/compare.js";
import { addUnitMoments, EMPTY_UNIT_MOMENTS } from "../stats/ratio.js";
import { quantileEffect } from "../stats/quantile.js";
import { stratifiedUnitEffect } from "../stats/stratified.js";
import { expectedFromHistory, srmAlarm, type SrmCheck } from "../stats/srm.js";

/** Below this many units per arm the normal approximation is not trusted for any verdict. */
export const MIN_OBSERVATIONS = 100;

export interface PrimaryReading {
  readonly kpi: string;
  /** Relative effect; its `ci` is the two-sided interval at the Bonferroni-split alpha. */
  readonly comparison: Comparison | null;
  /**
   * One-sided bounds on the relative effect, "good" positive: `good` at alpha/k (a commit needs
   * it above minLift), `bad` at alpha (a rollback needs it below zero).
   */
  readonly bounds: { readonly good: number; readonly bad: number } | null;
  readonly verdict: "better" | "worse" | "unclear";
}

/**
 * How intervals are read. "sequential" (the daemon) is always valid at every tick;
 * "fixed" is the naive fixed-horizon test, kept to show in benchmarks what peeking costs.
 */
export type Inference = "sequential" | "fixed";

export interface GuardrailReading {
  readonly kpi: string;
  readonly comparison: Comparison | null;
  readonly tolerance: number;
  /** One-sided always-valid bound on the good side of the degradation (null without data). */
  readonly bound: number | null;
  /** The bound shows degradation beyond tolerance. */
  readonly breached: boolean;
  /** The point estimate degrades beyond tolerance (blocks a commit, does not pull). */
  readonly beyondTolerance: boolean;
}

export interface ArmReading {
  readonly arm: VersionId;
  readonly index: number;
  readonly units: number;
  readonly pulled: boolean;
  readonly primary: PrimaryReading;
  readonly guardrails: readonly GuardrailReading[];
  /** The circuit breaker tripped since the previous tick (the arm is already out of traffic). */
  readonly breaker: BreakerTrip | null;
}

export interface Analysis {
  readonly experiment: string;
  readonly at: number;
  readonly baselineUnits: number;
  readonly arms: readonly ArmReading[];
  readonly srm: SrmCheck;
  /** Alpha of each primary comparison after Bonferroni over the live candidates. */
  readonly primaryAlpha: number;
}

/** A metric's unit statistics in one arm, pooled over allocation periods. */
export function pooled(snapshot: ExperimentSnapshot, arm: number, kpi: string): UnitMoments {
  let m = EMPTY_UNIT_MOMENTS;
  for (const period of snapshot.periods) {
    const k = period.kpis[arm]?.[kpi];
    if (k) m = addUnitMoments(m, k);
  }
  return m;
}

/** A metric's pooled estimate in one arm (Σy / Σd over units), for status views; 0 without data. */
export function pooledMean(snapshot: ExperimentSnapshot, arm: number, kpi: string): number {
  const m = pooled(snapshot, arm, kpi);
  return m.den > 0 ? m.sum / m.den : 0;
}

/**
 * Compares arm `index` with the baseline on one metric within allocation periods (see
 * stats/stratified.ts), on units: unbiased when weights moved while the KPI drifted over time,
 * and valid however many correlated outcomes each unit reports. Units with an earlier value of
 * the metric are compared CUPED-adjusted (stats/cuped.ts).
 */
export function compareArms(snapshot: ExperimentSnapshot, index: number, kpi: string, options: CompareOptions): Comparison | null {
  // A quantile metric compares the arms' quantiles (pooled over periods), by random groups.
  const quantiles = snapshot.quantiles;
  if (quantiles && Object.hasOwn(quantiles[0] ?? {}, kpi)) {
    const a = quantiles[0]?.[kpi];
    const b = quantiles[index]?.[kpi];
    const e = a && b ? quantileEffect(a, b, options.relative, (snapshot.units[0] ?? 0) + (snapshot.units[index] ?? 0)) : null;
    return e ? compareEffect(e, options) : null;
  }
  const strata = snapshot.periods.map((p) => {
    const control = p.kpis[0]?.[kpi] ?? EMPTY_UNIT_MOMENTS;
    const treatment = p.kpis[index]?.[kpi] ?? EMPTY_UNIT_MOMENTS;
    // CUPED: the units with a covariate (only the primary has them), when both arms have some.
    const a = p.returning?.[0]?.[kpi];
    const b = p.returning?.[index]?.[kpi];
    return a && b ? { control, treatment, returning: { control: a, treatment: b } } : { control, treatment };
  });
  const e = stratifiedUnitEffect(strata, options.relative);
  return e ? compareEffect(e, options) : null;
}

/**
 * Reads a snapshot against the policy: every live candidate's primary and guardrail KPIs with
 * always-valid intervals, the SRM check, and circuit-breaker trips since the last tick.
 */
export function analyze(snapshot: ExperimentSnapshot, policy: Policy, inference: Inference = "sequential"): Analysis {
  const liveCandidates = snapshot.arms.filter((arm, i) => i > 0 && !snapshot.pulled.includes(arm)).length;
  // Bonferroni over live candidates keeps the chance of any false commit at alpha.
  const primaryAlpha = policy.alpha / Math.max(1, liveCandidates);
  const tuning = inference === "sequential" ? policy.sequentialTuning : undefined;
  const arms = snapshot.arms.slice(1).map((arm, j) => readArm(snapshot, policy, j + 1, arm, primaryAlpha, tuning));
  const observed = snapshot.arms.map((_, i) => snapshot.periods.reduce((sum, p) => sum + (p.newUnits[i] ?? 0), 0));
  const expected = expectedFromHistory(snapshot.periods.map((p) => ({ units: p.newUnits.reduce((a, b) => a + b, 0), weights: p.weights })));
  return { experiment: snapshot.experiment, at: snapshot.at, baselineUnits: snapshot.units[0] ?? 0, arms, srm: srmAlarm(observed, expected), primaryAlpha };
}

function readArm(snapshot: ExperimentSnapshot, policy: Policy, index: number, arm: VersionId, primaryAlpha: number, tuning: number | undefined): ArmReading {
  const { primary } = policy;
  const control = pooled(snapshot, 0, primary.kpi);
  const treatment = pooled(snapshot, index, primary.kpi);
  const p = compareArms(snapshot, index, primary.kpi, {
    kind: primary.kind,
    direction: primary.direction,
    relative: true,
    alpha: primaryAlpha,
    ...(tuning === undefined ? {} : { sequentialTuning: tuning }),
  });
  let bounds: PrimaryReading["bounds"] = null;
  let verdict: PrimaryReading["verdict"] = "unclear";
  if (p && Math.min(control.n, treatment.n) >= MIN_OBSERVATIONS) {
    // Each decision is a one-sided always-valid test: a false commit and a false rollback each
    // happen with probability at most alpha, however often the tick looks.
    const increase = primary.direction === "increase";
    const good = increase ? oneSidedBound(p, primaryAlpha, "lower", tuning) : -oneSidedBound(p, primaryAlpha, "upper", tuning);
    const bad = increase ? oneSidedBound(p, policy.alpha, "upper", tuning) : -oneSidedBound(p, policy.alpha, "lower", tuning);
    bounds = { good, bad };
    verdict = good > primary.minLift ? "better" : bad < 0 ? "worse" : "unclear";
  }
  return {
    arm,
    index,
    units: snapshot.units[index] ?? 0,
    pulled: snapshot.pulled.includes(arm),
    primary: { kpi: primary.kpi, comparison: p, bounds, verdict },
    guardrails: policy.guardrails.map((g) => readGuardrail(snapshot, policy, index, g, tuning)),
    breaker: snapshot.trips.find((t) => t.arm === arm) ?? null,
  };
}

/** Degradation in the KPI's bad direction, as a signed relative effect (positive = worse). */
function degradation(effect: number, direction: Direction): number {
  return direction === "increase" ? -effect : effect;
}

function readGuardrail(snapshot: ExperimentSnapshot, policy: Policy, index: number, g: GuardrailKpi, tuning: number | undefined): GuardrailReading {
  const control = pooled(snapshot, 0, g.kpi);
  const treatment = pooled(snapshot, index, g.kpi);
  const c = compareArms(snapshot, index, g.kpi, { kind: g.kind, direction: g.direction, relative: true, alpha: policy.alpha, ...(tuning === undefined ? {} : { sequentialTuning: tuning }) });
  if (!c || Math.min(control.n, treatment.n) < MIN_OBSERVATIONS)
    return { kpi: g.kpi, comparison: c, tolerance: g.tolerance, bound: null, breached: false, beyondTolerance: false };
  // The bound that is most favourable to the candidate: if even it is beyond tolerance, the
  // degradation is real at level alpha (one-sided, always valid).
  const bound = g.direction === "decrease" ? oneSidedBound(c, policy.alpha, "lower", tuning) : -oneSidedBound(c, policy.alpha, "upper", tuning);
  return {
    kpi: g.kpi,
    comparison: c,
    tolerance: g.tolerance,
    bound,
    breached: bound > g.tolerance,
    beyondTolerance: degradation(c.effect, g.direction) > g.tolerance,
  };
}
