import { epsilonGreedyShares, ucbShares } from "../bandit/index-policies.js";
import type { BanditEngine, Posterior } from "../bandit/posterior.js";
import type { ExperimentSnapshot } from "../domain/snapshot.js";
import type { Policy } from "../domain/target.js";
import { effectiveCounts, ratioEstimate } from "../stats/ratio.js";
import { pooled } from "./analysis.js";

/**
 * The weights of every arm for the next allocation period.
 *
 * - Pulled arms get 0.
 * - Until every live arm has `burnInUnits` (or with mode "fixed"), candidates split their share
 *   equally; the share is the canary step's in canary, the last step's when running.
 * - Then the bandit: each live arm's posterior of the primary KPI (Beta for proportions, Normal
 *   for means; mirrored when lower is better), probability to be best (or top-two shares) from
 *   the kernel — or the UCB or ε-greedy shares (bandit/index-policies.ts) — a per-arm floor, and a cap on all candidates together: the canary step's
 *   share in canary, and 1 − baselineFloor always.
 */
export function allocate(snapshot: ExperimentSnapshot, policy: Policy, engine: BanditEngine, seed: number, canaryStep: number, fixed: readonly (number | undefined)[] = []): number[] {
  const weights = banditWeights(snapshot, policy, engine, seed, canaryStep);
  return fixed.some((f) => f !== undefined) ? withFixedShares(weights, fixed, snapshot.status === "canary", policy.allocation.baselineFloor) : weights;
}

/**
 * Arms with a fixed share (an operator's draft with `share`) get it once running — at most it in
 * canary, where they ramp like the others — and the other arms, the baseline included, share what
 * is left in the proportions they had. Pulled arms (weight 0) stay at 0; fixed shares together
 * never take the baseline below its floor.
 */
export function withFixedShares(weights: readonly number[], fixed: readonly (number | undefined)[], canary: boolean, baselineFloor: number): number[] {
  const out = [...weights];
  const isFixed = out.map((w, i) => i > 0 && w > 0 && fixed[i] !== undefined);
  for (let i = 0; i < out.length; i++) if (isFixed[i]) out[i] = canary ? Math.min(out[i] as number, fixed[i] as number) : (fixed[i] as number);
  const taken = out.reduce((sum, w, i) => sum + (isFixed[i] ? w : 0), 0);
  const room = 1 - baselineFloor;
  if (taken > room) for (let i = 0; i < out.length; i++) if (isFixed[i]) out[i] = ((out[i] as number) * room) / taken;
  const left = 1 - Math.min(taken, room);
  const others = out.reduce((sum, w, i) => sum + (isFixed[i] ? 0 : w), 0);
  for (let i = 0; i < out.length; i++) if (!isFixed[i]) out[i] = others > 0 ? ((out[i] as number) * left) / others : i === 0 ? left : 0;
  return out;
}

function banditWeights(snapshot: ExperimentSnapshot, policy: Policy, engine: BanditEngine, seed: number, canaryStep: number): number[] {
  const steps = policy.canary.steps;
  const step = steps[Math.min(canaryStep, steps.length - 1)] as number;
  const live = snapshot.arms.map((arm, i) => i === 0 || !snapshot.pulled.includes(arm));
  const liveIndices = live.flatMap((isLive, i) => (isLive ? [i] : []));
  const candidates = liveIndices.length - 1;
  const equal = (share: number): number[] => snapshot.arms.map((_, i) => (i === 0 ? 1 - share : live[i] ? share / candidates : 0));
  if (candidates === 0) return snapshot.arms.map((_, i) => (i === 0 ? 1 : 0));
  const burnedIn = liveIndices.every((i) => (snapshot.units[i] ?? 0) >= policy.allocation.burnInUnits);
  if (policy.allocation.mode === "fixed" || !burnedIn) return equal(step);

  const posteriors = liveIndices.map((i) => posteriorOf(snapshot, policy, i));
  const shares = banditShares(posteriors, policy, engine, seed, liveIndices.reduce((sum, i) => sum + (snapshot.units[i] ?? 0), 0));
  const floored = engine.floor(shares, policy.allocation.floor);
  const weights = snapshot.arms.map(() => 0);
  liveIndices.forEach((arm, j) => (weights[arm] = floored[j] as number));
  // Candidates together get at most the canary step's share in canary, and never so much that
  // the baseline falls below its floor. Only their excess over the per-arm floor shrinks.
  const cap = Math.min(snapshot.status === "canary" ? step : 1, 1 - policy.allocation.baselineFloor);
  const candidateShare = 1 - (weights[0] as number);
  if (candidateShare > cap) {
    const floor = policy.allocation.floor;
    const floors = candidates * floor;
    const scale = cap > floors ? (cap - floors) / (candidateShare - floors) : 0;
    for (let i = 1; i < weights.length; i++)
      if (live[i]) weights[i] = cap > floors ? floor + ((weights[i] as number) - floor) * scale : cap / candidates;
    weights[0] = 1 - cap;
  }
  return weights;
}

function banditShares(posteriors: readonly Posterior[], policy: Policy, engine: BanditEngine, seed: number, units: number): number[] {
  const { mode, draws, topTwoBeta, epsilon } = policy.allocation;
  if (mode === "top-two") return engine.topTwo(posteriors, draws, seed, topTwoBeta);
  if (mode === "ucb") return ucbShares(posteriors, units);
  if (mode === "epsilon-greedy") return epsilonGreedyShares(posteriors, epsilon);
  return engine.probabilityBest(posteriors, draws, seed);
}

/**
 * Probability that each arm is best on the primary KPI (0 for pulled arms), for reports and
 * metrics; null while an arm has no observation of the primary KPI.
 */
export function probabilityBest(snapshot: ExperimentSnapshot, policy: Policy, engine: BanditEngine, seed: number): number[] | null {
  const live = snapshot.arms.flatMap((arm, i) => (i === 0 || !snapshot.pulled.includes(arm) ? [i] : []));
  if (live.length < 2 || live.some((i) => pooled(snapshot, i, policy.primary.kpi).n === 0)) return null;
  const shares = engine.probabilityBest(live.map((i) => posteriorOf(snapshot, policy, i)), policy.allocation.draws, seed);
  const all = snapshot.arms.map(() => 0);
  live.forEach((arm, j) => (all[arm] = shares[j] as number));
  return all;
}

/** Posterior of one arm's primary KPI, "higher is better" after mirroring. */
function posteriorOf(snapshot: ExperimentSnapshot, policy: Policy, arm: number): Posterior {
  const { kpi, kind, direction } = policy.primary;
  const e = ratioEstimate(pooled(snapshot, arm, kpi));
  if (kind === "proportion") {
    // Beta(1, 1) prior on counts as wide as the unit-level variance says (outcomes of one unit
    // are not independent draws); for a lower-is-better rate the "success" is its complement.
    const { successes, trials } = e ? effectiveCounts(e) : { successes: 0, trials: 0 };
    return direction === "increase" ? { kind: "beta", alpha: successes + 1, beta: trials - successes + 1 } : { kind: "beta", alpha: trials - successes + 1, beta: successes + 1 };
  }
  const mean = e?.mean ?? 0;
  const sd = e ? Math.sqrt(e.variance) : Number.MAX_VALUE / 1e10;
  return { kind: "normal", mean: direction === "increase" ? mean : -mean, sd };
}

/** Total-variation distance between two weight vectors. */
export function totalVariation(a: readonly number[], b: readonly number[]): number {
  return a.reduce((sum, x, i) => sum + Math.abs(x - (b[i] ?? 0)), 0) / 2;
}

/**
 * An engine that answers a repeated `probabilityBest` (same posteriors, draws and seed) from
 * its last call: a tick asks it once for the status views and once for Thompson allocation,
 * and the Monte-Carlo draws are the costliest part of a tick on the event loop.
 */
export function rememberingLast(engine: BanditEngine): BanditEngine {
  let lastKey = "";
  let lastValue: readonly number[] = [];
  return {
    name: engine.name,
    topTwo: (posteriors, draws, seed, topBeta) => engine.topTwo(posteriors, draws, seed, topBeta),
    thompson: (posteriors, seed) => engine.thompson(posteriors, seed),
    betaDraws: (a, b, count, seed) => engine.betaDraws(a, b, count, seed),
    normalDraws: (count, seed) => engine.normalDraws(count, seed),
    floor: (shares, floor) => engine.floor(shares, floor),
    tabulatedDraws: (a, b, count, seed) => engine.tabulatedDraws(a, b, count, seed),
    probabilityBest(posteriors, draws, seed) {
      const key = `${draws}/${seed}/${JSON.stringify(posteriors)}`;
      if (key !== lastKey) {
        lastValue = engine.probabilityBest(posteriors, draws, seed);
        lastKey = key;
      }
      return [...lastValue];
    },
  };
}
