import type { ExperimentSnapshot } from "../domain/snapshot.js";
import type { Policy } from "../domain/target.js";
import type { VersionId } from "../domain/version.js";
import type { Analysis, ArmReading } from "./analysis.js";
import { driftIfCommitted, NO_DRIFT, type Drift } from "./drift.js";

/** An arm taken out of traffic this tick. */
export interface Pull {
  readonly arm: VersionId;
  readonly cause: "circuit_breaker" | "guardrail" | "primary_worse";
  readonly reason: string;
}

/** What the experiment as a whole does this tick. */
export type Verdict =
  | { readonly kind: "continue"; readonly reason: string }
  | { readonly kind: "hold"; readonly reason: string }
  | { readonly kind: "ramp"; readonly toStep: number; readonly reason: string }
  | { readonly kind: "promote"; readonly reason: string }
  | { readonly kind: "commit"; readonly arm: VersionId; readonly reason: string }
  | { readonly kind: "rollback"; readonly reason: string }
  | { readonly kind: "inconclusive"; readonly reason: string };

export interface TickDecision {
  readonly pulls: readonly Pull[];
  readonly verdict: Verdict;
}

const pct = (x: number): string => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(2)}%`;

/**
 * The policy, as a pure function of one analysis:
 * 1. pull any arm whose circuit breaker tripped, whose guardrail is breached, or whose primary
 *    is significantly worse (always-valid intervals make "as soon as" safe);
 * 2. if no candidate is left, roll back; an SRM alarm holds everything else;
 * 3. in canary, ramp once every live candidate has its units for the step, then promote;
 * 4. running: commit the best candidate whose primary interval clears minLift on the good side
 *    with every guardrail within tolerance, after minUnitsPerArm — within tolerance in this
 *    experiment and, chained with the commits before (`drift`, decide/drift.ts), from the anchor;
 * 5. inconclusive once the experiment has served maxUnitsPerArm × arms units in total.
 */
export function decide(snapshot: ExperimentSnapshot, analysis: Analysis, policy: Policy, drift: Drift = NO_DRIFT, options: DecideOptions = {}): TickDecision {
  const pulls: Pull[] = [];
  // Tripped arms are already out of traffic; the decision records why.
  for (const arm of analysis.arms) if (arm.breaker) pulls.push(breakerPull(arm));
  const live = analysis.arms.filter((a) => !a.pulled && !a.breaker);
  for (const arm of live) {
    const pull = pullFor(arm);
    if (pull && !(pull.cause === "primary_worse" && options.spare?.(arm.arm))) pulls.push(pull);
  }
  const remaining = live.filter((a) => !pulls.some((p) => p.arm === a.arm));
  if (remaining.length === 0) return { pulls, verdict: { kind: "rollback", reason: "every candidate was pulled: " + pulls.map((p) => p.reason).join("; ") } };
  if (analysis.srm.alarm)
    return { pulls, verdict: { kind: "hold", reason: `sample ratio mismatch (chi² ${analysis.srm.chiSquare.toFixed(1)}, p ${analysis.srm.pValue.toExponential(2)}): decisions held` } };

  if (snapshot.status === "canary") {
    const need = policy.canary.minUnitsPerStep;
    const ready = remaining.every((a) => a.units >= need) && analysis.baselineUnits >= need;
    if (!ready) return { pulls, verdict: { kind: "continue", reason: `canary step ${snapshot.canaryStep + 1}: waiting for ${need} units per arm` } };
    const next = snapshot.canaryStep + 1;
    if (next < policy.canary.steps.length)
      return { pulls, verdict: { kind: "ramp", toStep: next, reason: `canary step ${snapshot.canaryStep + 1} healthy: ramp to ${pct(policy.canary.steps[next] as number)} candidate traffic` } };
    // Arms pulled on the way (breaker, guardrail, worse primary) are named: "no breach" would hide them.
    const out = snapshot.pulled.length + pulls.length;
    const reason = out === 0 ? "canary ramp complete with no guardrail breach" : `canary ramp complete: ${remaining.length} candidate${remaining.length === 1 ? "" : "s"} healthy, ${out} pulled on the way`;
    return { pulls, verdict: { kind: "promote", reason } };
  }

  const { winner, held } = winnerOf(remaining, analysis.baselineUnits, policy, drift);
  if (winner) {
    const effect = winner.primary.comparison?.effect ?? 0;
    const bound = winner.primary.bounds?.good ?? 0;
    return {
      pulls,
      verdict: {
        kind: "commit",
        arm: winner.arm,
        reason: `${policy.primary.kpi} ${pct(effect)}, at least ${pct(bound)} (one-sided always-valid bound at alpha ${analysis.primaryAlpha.toPrecision(3)}), guardrails within tolerance`,
      },
    };
  }
  // The budget counts all units, so a bandit that starves a weak arm still ends on time.
  const budget = policy.maxUnitsPerArm * snapshot.arms.length;
  const spent = analysis.baselineUnits + analysis.arms.reduce((sum, a) => sum + a.units, 0);
  if (spent >= budget) {
    const promising = spent < budget * policy.search.extendFactor ? mostPromising(remaining, policy) : null;
    const extended = spent >= budget * policy.search.extendFactor && policy.search.extendFactor > 1 ? `, extended to ${Math.round(budget * policy.search.extendFactor)} while an arm looked promising,` : "";
    if (!promising) return { pulls, verdict: { kind: "inconclusive", reason: `budget of ${budget} units (${policy.maxUnitsPerArm} per arm)${extended} spent without a significant winner` } };
    // Always-valid intervals stay valid however long the experiment runs, so extending is safe.
    return { pulls, verdict: { kind: "continue", reason: `budget of ${budget} units spent; extended up to ${Math.round(budget * policy.search.extendFactor)} while ${promising.arm.slice(0, 12)} has a ${(promising.chance * 100).toFixed(1)}% chance to beat the baseline` } };
  }
  return { pulls, verdict: { kind: "continue", reason: held ? `collecting evidence; a winner is held back: ${held}` : "collecting evidence" } };
}

/** What decide() may be told besides the analysis. */
export interface DecideOptions {
  /**
   * Arms not pulled for a worse primary on the whole (per-segment baselines: an arm worse on the
   * whole may still win a segment; lifecycle/segment-commits.ts says which).
   */
  readonly spare?: (arm: VersionId) => boolean;
}

/**
 * The arm to commit among `arms`: the best primary effect among those better on the primary
 * with every guardrail within tolerance, after minUnitsPerArm on both sides, whose commit keeps
 * every guardrail within tolerance of the anchor (`drift`); or why a winner is held back.
 */
export function winnerOf(arms: readonly ArmReading[], baselineUnits: number, policy: Policy, drift: Drift): { readonly winner: ArmReading | null; readonly held: string | null } {
  const enough = (a: ArmReading): boolean => a.units >= policy.minUnitsPerArm && baselineUnits >= policy.minUnitsPerArm;
  const good = arms.filter((a) => enough(a) && a.primary.verdict === "better" && a.guardrails.every((g) => !g.beyondTolerance && !g.breached));
  const drifting = good.map((a) => ({ arm: a, beyond: driftBeyond(a, policy, drift) }));
  const winners = drifting
    .filter((d) => d.beyond === null)
    .map((d) => d.arm)
    .sort((a, b) => goodEffect(b, policy) - goodEffect(a, policy));
  return { winner: winners[0] ?? null, held: drifting.find((d) => d.beyond !== null)?.beyond ?? null };
}

/**
 * The arm with the best chance to beat the baseline on the primary, if that chance reaches
 * `extendChance` with every guardrail within tolerance so far (the "extend" recommendation):
 * an arm this close to a commit keeps its statistics instead of starting over.
 */
function mostPromising(arms: readonly ArmReading[], policy: Policy): { arm: VersionId; chance: number } | null {
  if (policy.search.extendChance <= 0) return null;
  let best: { arm: VersionId; chance: number } | null = null;
  for (const a of arms) {
    const c = a.primary.comparison;
    if (!c || a.guardrails.some((g) => g.beyondTolerance || g.breached)) continue;
    const chance = policy.primary.direction === "increase" ? c.chanceToWin : 1 - c.chanceToWin;
    if (chance >= policy.search.extendChance && (!best || chance > best.chance)) best = { arm: a.arm, chance };
  }
  return best;
}

/** Why committing `arm` would take a guardrail beyond tolerance from the anchor, or null. */
function driftBeyond(arm: ArmReading, policy: Policy, drift: Drift): string | null {
  for (const reading of arm.guardrails) {
    const g = policy.guardrails.find((k) => k.kpi === reading.kpi);
    const c = reading.comparison;
    if (!g || !c) continue;
    const d = driftIfCommitted(drift, g, { effect: c.effect, se: c.se, n: c.n }, policy, policy.sequentialTuning);
    if (d && (d.point > g.tolerance || d.bound > g.tolerance))
      return `guardrail ${g.kpi} would be ${pct(d.point)} from the anchor (at least ${pct(d.bound)}), tolerance ${pct(g.tolerance)}`;
  }
  return null;
}

function breakerPull(arm: ArmReading): Pull {
  const trip = arm.breaker as NonNullable<ArmReading["breaker"]>;
  return {
    arm: arm.arm,
    cause: "circuit_breaker",
    reason: `circuit breaker: ${trip.kpi} at ${(trip.rate * 100).toFixed(2)}% over its last ${trip.n} observations crossed the hard limit ${(trip.limit * 100).toFixed(2)}%`,
  };
}

function pullFor(arm: ArmReading): Pull | null {
  const breached = arm.guardrails.find((g) => g.breached);
  if (breached)
    return {
      arm: arm.arm,
      cause: "guardrail",
      reason: `guardrail ${breached.kpi} degraded ${pct(breached.bound ?? 0)} at least (one-sided bound), tolerance ${pct(breached.tolerance)}`,
    };
  if (arm.primary.verdict === "worse") {
    const effect = arm.primary.comparison?.effect ?? 0;
    return { arm: arm.arm, cause: "primary_worse", reason: `${arm.primary.kpi} significantly worse: ${pct(effect)}, at best ${pct(arm.primary.bounds?.bad ?? 0)} (one-sided always-valid bound)` };
  }
  return null;
}

/** The primary effect with "good" as positive. */
function goodEffect(arm: ArmReading, policy: Policy): number {
  const effect = arm.primary.comparison?.effect ?? 0;
  return policy.primary.direction === "increase" ? effect : -effect;
}
