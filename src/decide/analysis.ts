import type { ExperimentSnapshot, Moments } from "../domain/snapshot.js";
import type { Direction, GuardrailKpi, Policy } from "../domain/target.js";
import type { VersionId } from "../domain/version.js";
import { compare, type Comparison } from "../stats/compare.js";
import { addMoments, EMPTY_MOMENTS, meanOf } from "../stats/moments.js";
import { sequentialBound } from "../stats/sequential.js";
import { expectedFromHistory, srmAlarm, type SrmCheck } from "../stats/srm.js";

/** Below this many observations per arm the normal approximation is not trusted for any verdict. */
export const MIN_OBSERVATIONS = 100;
/** Observations in the window before the circuit breaker may trip. */
export const BREAKER_MIN_OBSERVATIONS = 30;

export interface PrimaryReading {
  readonly kpi: string;
  readonly comparison: Comparison | null;
  /** better: interval beyond minLift on the good side; worse: interval entirely on the bad side. */
  readonly verdict: "better" | "worse" | "unclear";
}

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
  /** A guardrail's hard limit crossed in the last window. */
  readonly breaker: { readonly kpi: string; readonly rate: number; readonly limit: number; readonly n: number } | null;
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

/** KPI statistics of one arm, pooled over allocation periods. */
export function pooled(snapshot: ExperimentSnapshot, arm: number, kpi: string): Moments {
  let m = EMPTY_MOMENTS;
  for (const period of snapshot.periods) {
    const k = period.kpis[arm]?.[kpi];
    if (k) m = addMoments(m, k);
  }
  return m;
}

/**
 * Reads a snapshot against the policy: every live candidate's primary and guardrail KPIs with
 * always-valid intervals, the SRM check, and the circuit-breaker window.
 */
export function analyze(snapshot: ExperimentSnapshot, policy: Policy): Analysis {
  const liveCandidates = snapshot.arms.filter((arm, i) => i > 0 && !snapshot.pulled.includes(arm)).length;
  // Bonferroni over live candidates keeps the chance of any false commit at alpha.
  const primaryAlpha = policy.alpha / Math.max(1, liveCandidates);
  const arms = snapshot.arms.slice(1).map((arm, j) => readArm(snapshot, policy, j + 1, arm, primaryAlpha));
  const observed = snapshot.arms.map((_, i) => snapshot.periods.reduce((sum, p) => sum + (p.newUnits[i] ?? 0), 0));
  const expected = expectedFromHistory(snapshot.periods.map((p) => ({ units: p.newUnits.reduce((a, b) => a + b, 0), weights: p.weights })));
  return { experiment: snapshot.experiment, at: snapshot.at, baselineUnits: snapshot.units[0] ?? 0, arms, srm: srmAlarm(observed, expected), primaryAlpha };
}

function readArm(snapshot: ExperimentSnapshot, policy: Policy, index: number, arm: VersionId, primaryAlpha: number): ArmReading {
  const tuning = policy.sequentialTuning;
  const { primary } = policy;
  const p = compare(pooled(snapshot, 0, primary.kpi), pooled(snapshot, index, primary.kpi), {
    kind: primary.kind,
    direction: primary.direction,
    relative: true,
    alpha: primaryAlpha,
    sequentialTuning: tuning,
  });
  const enough = p !== null && Math.min(pooled(snapshot, 0, primary.kpi).n, pooled(snapshot, index, primary.kpi).n) >= MIN_OBSERVATIONS;
  const [lo, hi] = p?.ci ?? [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
  const better = primary.direction === "increase" ? lo > primary.minLift : hi < -primary.minLift;
  const worse = primary.direction === "increase" ? hi < 0 : lo > 0;
  return {
    arm,
    index,
    units: snapshot.units[index] ?? 0,
    pulled: snapshot.pulled.includes(arm),
    primary: { kpi: primary.kpi, comparison: p, verdict: !enough ? "unclear" : better ? "better" : worse ? "worse" : "unclear" },
    guardrails: policy.guardrails.map((g) => readGuardrail(snapshot, policy, index, g)),
    breaker: tripBreaker(snapshot, index, policy.guardrails),
  };
}

/** Degradation in the KPI's bad direction, as a signed relative effect (positive = worse). */
function degradation(effect: number, direction: Direction): number {
  return direction === "increase" ? -effect : effect;
}

function readGuardrail(snapshot: ExperimentSnapshot, policy: Policy, index: number, g: GuardrailKpi): GuardrailReading {
  const control = pooled(snapshot, 0, g.kpi);
  const treatment = pooled(snapshot, index, g.kpi);
  const c = compare(control, treatment, { kind: g.kind, direction: g.direction, relative: true, alpha: policy.alpha, sequentialTuning: policy.sequentialTuning });
  if (!c || Math.min(control.n, treatment.n) < MIN_OBSERVATIONS)
    return { kpi: g.kpi, comparison: c, tolerance: g.tolerance, bound: null, breached: false, beyondTolerance: false };
  // The bound that is most favourable to the candidate: if even it is beyond tolerance, the
  // degradation is real at level alpha (one-sided, always valid).
  const bound =
    g.direction === "decrease"
      ? sequentialBound(c.effect, c.se, c.n, policy.alpha, policy.sequentialTuning, "lower")
      : -sequentialBound(c.effect, c.se, c.n, policy.alpha, policy.sequentialTuning, "upper");
  return {
    kpi: g.kpi,
    comparison: c,
    tolerance: g.tolerance,
    bound,
    breached: bound > g.tolerance,
    beyondTolerance: degradation(c.effect, g.direction) > g.tolerance,
  };
}

function tripBreaker(snapshot: ExperimentSnapshot, index: number, guardrails: readonly GuardrailKpi[]): ArmReading["breaker"] {
  for (const g of guardrails) {
    if (g.hardLimit === undefined) continue;
    const m = snapshot.window[index]?.[g.kpi];
    if (!m || m.n < BREAKER_MIN_OBSERVATIONS) continue;
    const rate = meanOf(m);
    const crossed = g.direction === "decrease" ? rate > g.hardLimit : rate < g.hardLimit;
    if (crossed) return { kpi: g.kpi, rate, limit: g.hardLimit, n: m.n };
  }
  return null;
}
