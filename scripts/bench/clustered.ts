/**
 * Clustered worlds for the decision benchmark (scripts/bench/decisions.ts): each unit visits
 * several times (1 + Binomial(8, ½) outcomes, mean 5) and converts at its own rate — the base
 * rate times a log-normal per-unit effect (σ = 0.8), so outcomes of one unit are correlated —
 * and every outcome goes through evolvd's own transaction path (LiveExperiment: per-unit rows,
 * metric cells) and the analysis at every tick. The same world is also analysed the way evolvd
 * did before statistics were per unit, every outcome its own unit, to show what that cost.
 */
import { analyze } from "../../src/decide/analysis.js";
import { decide } from "../../src/decide/decision.js";
import type { Policy } from "../../src/domain/target.js";
import type { Version } from "../../src/domain/version.js";
import { evidenceRules } from "../../src/evidence/rules.js";
import { seededRng } from "../../src/random/seeded-rng.js";
import { EarlierValues } from "../../src/evidence/earlier-values.js";
import { KEY, unitKey } from "../../src/evidence/unit-key.js";
import { binomial } from "../../src/sim/binomial.js";
import { poisson } from "../../src/sim/poisson.js";
import { LiveExperiment } from "../../src/stream/live-experiment.js";

export type Outcome = "commit" | "rollback" | "inconclusive";
export type Analysed = "per unit" | "per outcome (before)" | "per unit, CUPED";

const VISITS = 8;
const SIGMA = 0.8;
const RUNNING = { status: "running", canaryStep: 0 } as const;
const arms: Version[] = [0, 1].map((i) => ({ id: String(i).repeat(64), target: "bench", values: {}, parent: null, generation: 0, mutations: [], seed: null, createdAt: 0 }));

export interface ClusteredWorld {
  readonly baseRate: number;
  readonly unitsPerTick: number;
  readonly policy: Policy;
  /** Relative lift of the treatment on the per-outcome rate. */
  readonly lift: number;
  /**
   * "ratio": the primary is revenue per order (numerator and denominator both per unit);
   * "count": orders per unit, in a world of returning units (`returning`).
   */
  readonly metric: "per_outcome" | "ratio" | "count";
  /**
   * Units that differ persistently and come back: each has an activity level (log-normal, σ =
   * `activitySigma`) and a conversion rate that hold across experiments; a share `share` of them
   * was seen in the previous experiment, whose orders per unit are their CUPED covariate.
   */
  readonly returning?: { readonly share: number; readonly activitySigma: number };
}

/** One seeded experiment, decided at every tick. */
export function clusteredRun(world: ClusteredWorld, seed: number, analysed: Analysed): { outcome: Outcome; units: number; correlation?: number } {
  if (world.returning) return returningRun(world, world.returning, seed, analysed);
  const { policy } = world;
  const rng = seededRng(`clustered/${seed}`);
  const experiment = new LiveExperiment({ id: "bench/g1", target: "bench", generation: 1, arms, weights: [0.5, 0.5], now: 0, ...evidenceRules(policy) });
  let unit = 0;
  let outcomeId = 0;
  for (let tick = 1; ; tick++) {
    for (let i = 0; i < 2 * world.unitsPerTick; i++) {
      const id = `u${unit++}`;
      const arm = (arms[i % 2] as Version).id;
      const lift = i % 2 === 1 ? 1 + world.lift : 1;
      // The lift moves the conversion rate, or for the ratio metric the value of each order.
      const rate = Math.min(1, world.baseRate * Math.exp(SIGMA * rng.normal() - (SIGMA * SIGMA) / 2) * (world.metric === "ratio" ? 1 : lift));
      const basket = 20 + 40 * rng.next(); // a unit's typical order value: persistent too
      const visits = 1 + binomial(VISITS, 0.5, rng);
      if (analysed === "per unit") experiment.recordExposure(id, arm);
      for (let v = 0; v < visits; v++) {
        const converted = rng.next() < rate ? 1 : 0;
        const metrics: Record<string, number> = world.metric === "ratio" ? { orders: converted, revenue: converted * basket * (0.5 + rng.next()) * lift } : { conversion: converted };
        // Before: each outcome was one independent observation, as if it were its own unit.
        const who = analysed === "per unit" ? id : `o${outcomeId++}`;
        if (analysed !== "per unit") experiment.recordExposure(who, arm);
        experiment.recordOutcome(who, arm, metrics);
      }
    }
    const snapshot = experiment.snapshot(tick, RUNNING);
    const decision = decide(snapshot, analyze(snapshot, policy), policy);
    // Units per arm, or for the per-outcome analysis outcomes per arm (what it counted as units).
    const units = analysed === "per unit" ? unit / 2 : outcomeId / 2;
    if (decision.pulls.length > 0 || decision.verdict.kind === "rollback") return { outcome: "rollback", units };
    if (decision.verdict.kind === "commit") return { outcome: "commit", units };
    if (decision.verdict.kind === "inconclusive") return { outcome: "inconclusive", units };
  }
}

/**
 * The world of returning units: the same units (same seed) are analysed with and without their
 * covariate, so the CUPED row and its "per unit" twin differ only by the adjustment. Also
 * returns the correlation of earlier and current orders per unit over the returning units.
 */
function returningRun(world: ClusteredWorld, returning: NonNullable<ClusteredWorld["returning"]>, seed: number, analysed: Analysed): { outcome: Outcome; units: number; correlation: number } {
  const { policy } = world;
  const population = seededRng(`returning/${seed}`);
  const rng = seededRng(`clustered/${seed}`);
  const total = 2 * policy.maxUnitsPerArm;
  const sigma = returning.activitySigma;
  // Each unit's persistent traits, and its orders in the previous experiment if it was in it.
  const activity = new Float64Array(total);
  const rate = new Float64Array(total);
  const keys: number[] = [];
  const values: number[] = [];
  const earlier = new Float64Array(total).fill(NaN);
  for (let u = 0; u < total; u++) {
    activity[u] = 4 * Math.exp(sigma * population.normal() - (sigma * sigma) / 2);
    rate[u] = Math.min(1, world.baseRate * Math.exp(SIGMA * population.normal() - (SIGMA * SIGMA) / 2));
    if (population.next() < returning.share) {
      const visits = 1 + poisson(activity[u] as number, population);
      earlier[u] = binomial(visits, rate[u] as number, population);
      unitKey(`u${u}`);
      keys.push(KEY[0] as number);
      values.push(earlier[u] as number);
    }
  }
  const covariates = analysed === "per unit, CUPED" ? { covariates: EarlierValues.after("bench/g0", Uint32Array.from(keys), Float32Array.from(values), EarlierValues.EMPTY, total) } : {};
  const experiment = new LiveExperiment({ id: "bench/g1", target: "bench", generation: 1, arms, weights: [0.5, 0.5], now: 0, ...evidenceRules(policy), ...covariates });
  const pairs: [number, number][] = [];
  let unit = 0;
  for (let tick = 1; ; tick++) {
    for (let i = 0; i < 2 * world.unitsPerTick && unit < total; i++, unit++) {
      const id = `u${unit}`;
      const arm = (arms[i % 2] as Version).id;
      const lift = i % 2 === 1 ? 1 + world.lift : 1;
      experiment.recordExposure(id, arm);
      const visits = 1 + poisson(activity[unit] as number, rng);
      let orders = 0;
      for (let v = 0; v < visits; v++) {
        const converted = rng.next() < Math.min(1, (rate[unit] as number) * lift) ? 1 : 0;
        orders += converted;
        experiment.recordOutcome(id, arm, { orders: converted });
      }
      if (!Number.isNaN(earlier[unit] as number)) pairs.push([earlier[unit] as number, orders]);
    }
    const snapshot = experiment.snapshot(tick, RUNNING);
    const decision = decide(snapshot, analyze(snapshot, policy), policy);
    const done = (outcome: Outcome) => ({ outcome, units: unit / 2, correlation: correlation(pairs) });
    if (decision.pulls.length > 0 || decision.verdict.kind === "rollback") return done("rollback");
    if (decision.verdict.kind === "commit") return done("commit");
    if (decision.verdict.kind === "inconclusive" || unit >= total) return done("inconclusive");
  }
}

function correlation(pairs: readonly (readonly [number, number])[]): number {
  const n = pairs.length;
  let sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  for (const [x, y] of pairs) {
    sx += x;
    sy += y;
    sxx += x * x;
    syy += y * y;
    sxy += x * y;
  }
  return (n * sxy - sx * sy) / Math.sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));
}
