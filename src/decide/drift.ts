import type { Direction, GuardrailKpi, Policy } from "../domain/target.js";
import { studentTQuantile } from "../stats/distributions.js";
import { sequentialBound } from "../stats/sequential.js";

/**
 * How far each guardrail has moved from the target's anchor (the target file's baseline) along
 * the chain of commits that made the current baseline: each commit's measured relative effect
 * e_k with its standard error s_k, chained on the log scale,
 *   L = Σ ln(1 + e_k),  Var(L) ≈ Σ (s_k / (1 + e_k))²   (delta method; experiments independent),
 * so a run of small steps, each within tolerance, cannot walk a guardrail far past it.
 */
export type Drift = Readonly<Record<string, { readonly log: number; readonly variance: number; readonly units: number }>>;

/** One commit's guardrail effects, as its evidence recorded them. */
export type Steps = Readonly<Record<string, { readonly effect: number; readonly se: number; readonly n: number }>>;

export const NO_DRIFT: Drift = Object.freeze({});

/** The drift after one more commit with these effects (effects of −100 % or less are ignored). */
export function addSteps(drift: Drift, steps: Steps): Drift {
  const out: Record<string, { log: number; variance: number; units: number }> = { ...drift };
  for (const [kpi, s] of Object.entries(steps)) {
    if (!(s.effect > -1) || !Number.isFinite(s.se)) continue;
    const was = drift[kpi] ?? { log: 0, variance: 0, units: 0 };
    out[kpi] = { log: was.log + Math.log1p(s.effect), variance: was.variance + (s.se / (1 + s.effect)) ** 2, units: was.units + s.n };
  }
  return out;
}

/**
 * The committed arm's guardrail effects from a decision's evidence (lifecycle/evidence.ts);
 * an entry of an older evolvd without standard errors counts with se 0.
 */
export function stepsFromEvidence(evidence: unknown, winner: string): Steps {
  const arms = (evidence as { arms?: unknown } | null)?.arms;
  if (!Array.isArray(arms)) return {};
  const arm = arms.find((a) => (a as { arm?: unknown })?.arm === winner) as { guardrails?: unknown } | undefined;
  if (!arm || !Array.isArray(arm.guardrails)) return {};
  const steps: Record<string, { effect: number; se: number; n: number }> = {};
  for (const g of arm.guardrails as { kpi?: unknown; effect?: unknown; se?: unknown; n?: unknown }[]) {
    if (typeof g?.kpi !== "string" || typeof g.effect !== "number" || !Number.isFinite(g.effect)) continue;
    steps[g.kpi] = { effect: g.effect, se: typeof g.se === "number" && Number.isFinite(g.se) ? g.se : 0, n: typeof g.n === "number" ? g.n : 0 };
  }
  return steps;
}

/**
 * The drift of `winner` once it is committed over `previous`: the previous baseline's drift
 * chained with the winner's effects from the decision's evidence. The one rule the lifecycle
 * applies at a commit and the replay of a history applies to each recorded one.
 */
export function driftAfterCommit(byVersion: ReadonlyMap<string, Drift>, previous: string | null, winner: string, evidence: unknown): Drift {
  return addSteps((previous !== null && byVersion.get(previous)) || NO_DRIFT, stepsFromEvidence(evidence, winner));
}

/** Each guardrail's drift as a relative change from the anchor (+0.03 = 3 % higher). */
export function driftChanges(drift: Drift): Record<string, number> {
  return Object.fromEntries(Object.entries(drift).map(([kpi, d]) => [kpi, Math.expm1(d.log)]));
}

/** Degradation (positive = worse) of a relative change on the log scale, for a KPI's direction. */
const degradation = (log: number, direction: Direction): number => (direction === "decrease" ? Math.expm1(log) : -Math.expm1(log));

/**
 * A guardrail's drift from the anchor if this candidate were committed: the point estimate and
 * the bound most favourable to the candidate (as a breach reads it), one-sided at alpha,
 * always valid when the policy's sequential tuning is given. Null without a measured effect.
 */
export function driftIfCommitted(drift: Drift, g: GuardrailKpi, step: { effect: number; se: number; n: number } | null, policy: Policy, tuning: number | undefined): { readonly point: number; readonly bound: number } | null {
  if (!step) return null;
  const chained = addSteps(drift, { [g.kpi]: step })[g.kpi];
  if (!chained) return null;
  const se = Math.sqrt(chained.variance);
  // The favourable side: the lowest degradation the data allow.
  const side = g.direction === "decrease" ? "lower" : "upper";
  const bound =
    tuning !== undefined
      ? sequentialBound(chained.log, se, Math.max(2, chained.units), policy.alpha, tuning, side)
      : chained.log + (side === "lower" ? -1 : 1) * studentTQuantile(1 - policy.alpha, 1e6) * se;
  return { point: degradation(chained.log, g.direction), bound: degradation(bound, g.direction) };
}
