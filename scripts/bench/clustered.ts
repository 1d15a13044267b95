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
import { binomial } from "../../src/sim/binomial.js";
import { LiveExperiment } from "../../src/stream/live-experiment.js";

export type Outcome = "commit" | "rollback" | "inconclusive";
export type Analysed = "per unit" | "per outcome (before)";

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
  /** "ratio": the primary is revenue per order (numerator and denominator both per unit). */
  readonly metric: "per_outcome" | "ratio";
}

/** One seeded experiment, decided at every tick. */
export function clusteredRun(world: ClusteredWorld, seed: number, analysed: Analysed): { outcome: Outcome; units: number } {
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
