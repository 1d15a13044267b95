/**
 * Decision-quality benchmark: many seeded simulated experiments with the analysis run at every
 * tick, through evolvd's own analyze() and decide(). Reports commit / rollback / inconclusive
 * rates and units at decision, for the sequential policy and for a naive fixed-horizon test
 * checked at every tick (what peeking costs).
 *
 *   npm run bench:decisions              # table
 *   npm run bench:decisions -- --json    # machine-readable
 *   npm run bench:decisions -- --runs 200   # quicker, less precise
 *   npm run bench:decisions -- --clustered  # only the clustered rows (several outcomes per unit)
 *   npm run bench:decisions -- --cuped      # only the returning-units rows, with and without CUPED
 */
import { analyze, type Inference } from "../../src/decide/analysis.js";
import { decide } from "../../src/decide/decision.js";
import type { ExperimentSnapshot } from "../../src/domain/snapshot.js";
import type { Policy } from "../../src/domain/target.js";
import { parsePolicy } from "../../src/config/policy.js";
import { seededRng } from "../../src/random/seeded-rng.js";
import { binomial } from "../../src/sim/binomial.js";
import { perUnit } from "../../src/evidence/arm-stats.js";
import { clusteredRun, type Analysed, type ClusteredWorld } from "./clustered.js";

const args = process.argv.slice(2);
const json = args.includes("--json");
const runsArg = args.indexOf("--runs");
const AA_RUNS = runsArg >= 0 ? Number(args[runsArg + 1]) : 1000;
const EFFECT_RUNS = Math.max(100, Math.round(AA_RUNS / 2));

const BASE_RATE = 0.1;
const UNITS_PER_TICK = 1000; // per arm
const BUDGET = 150_000; // units per arm
const { policy: parsed, problems } = parsePolicy({
  seed: "bench",
  alpha: 0.05,
  candidatesPerGeneration: 1,
  liveCandidates: 1,
  minUnitsPerArm: 1000,
  maxUnitsPerArm: BUDGET,
  sequentialTuning: 2 * BUDGET,
  primary: { kpi: "conversion", kind: "proportion", direction: "increase", minLift: 0 },
  guardrails: [],
});
if (!parsed) throw new Error(problems.join("; "));
const policy: Policy = parsed;

type Outcome = "commit" | "rollback" | "inconclusive";

function runOnce(lift: number, seed: number, inference: Inference): { outcome: Outcome; units: number } {
  const rng = seededRng(`decisions/${seed}`);
  const rates = [BASE_RATE, BASE_RATE * (1 + lift)];
  const successes = [0, 0];
  let n = 0;
  for (;;) {
    n += UNITS_PER_TICK;
    for (let arm = 0; arm < 2; arm++) successes[arm] = (successes[arm] as number) + binomial(UNITS_PER_TICK, rates[arm] as number, rng);
    const kpis = successes.map((s) => ({ conversion: perUnit({ n, sum: s, sumSquares: s }) }));
    const snapshot: ExperimentSnapshot = {
      experiment: "bench",
      target: "bench",
      generation: 1,
      status: "running",
      at: n,
      arms: ["0".repeat(64), "1".repeat(64)],
      pulled: [],
      canaryStep: 0,
      units: [n, n],
      periods: [{ revision: 1, from: 0, weights: [0.5, 0.5], newUnits: [n, n], kpis }],
      trips: [],
    };
    const decision = decide(snapshot, analyze(snapshot, policy, inference), policy);
    if (decision.pulls.length > 0 || decision.verdict.kind === "rollback") return { outcome: "rollback", units: n };
    if (decision.verdict.kind === "commit") return { outcome: "commit", units: n };
    if (decision.verdict.kind === "inconclusive") return { outcome: "inconclusive", units: n };
  }
}

interface Row {
  readonly scenario: string;
  readonly inference: Inference | Analysed;
  readonly runs: number;
  readonly seeds: string;
  readonly commitRate: number;
  readonly rollbackRate: number;
  readonly inconclusiveRate: number;
  readonly medianUnitsToCommit: number | null;
  readonly medianUnitsToRollback: number | null;
  /** The CUPED world: median units/arm to a commit over all runs (a run that never commits counts as never); null when most never do. */
  readonly medianUnitsToCommitAllRuns?: number | null;
  /** The CUPED world: share of returning units, mean correlation of their earlier and current values. */
  readonly returning?: { readonly share: number; readonly correlation: number };
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function scenario(name: string, lift: number, runs: number, firstSeed: number, inference: Inference): Row {
  return summary(name, inference, runs, firstSeed, Array.from({ length: runs }, (_, i) => runOnce(lift, firstSeed + i, inference)));
}

function summary(name: string, test: Row["inference"], runs: number, firstSeed: number, results: { outcome: Outcome; units: number }[]): Row {
  const of = (o: Outcome) => results.filter((r) => r.outcome === o);
  return {
    scenario: name,
    inference: test,
    runs,
    seeds: `${firstSeed}..${firstSeed + runs - 1}`,
    commitRate: of("commit").length / runs,
    rollbackRate: of("rollback").length / runs,
    inconclusiveRate: of("inconclusive").length / runs,
    medianUnitsToCommit: median(of("commit").map((r) => r.units)),
    medianUnitsToRollback: median(of("rollback").map((r) => r.units)),
  };
}

/** Clustered worlds (scripts/bench/clustered.ts): several correlated outcomes per unit. */
const CLUSTERED_BUDGET = 50_000;
/** Mean outcomes per unit in the clustered worlds: the per-outcome analysis counts outcomes as units, so its budget is this much larger. */
const VISITS_PER_UNIT = 5;
const clusteredPolicy = (primary: object, scale = 1): Policy => {
  const { policy: p, problems: why } = parsePolicy({ seed: "bench", alpha: 0.05, candidatesPerGeneration: 1, liveCandidates: 1, minUnitsPerArm: 1000 * scale, maxUnitsPerArm: CLUSTERED_BUDGET * scale, sequentialTuning: 2 * CLUSTERED_BUDGET * scale, primary, guardrails: [] });
  if (!p) throw new Error(why.join("; "));
  return p;
};
const conversionWorld = (lift: number, scale = 1): ClusteredWorld => ({ baseRate: BASE_RATE, unitsPerTick: 500, lift, metric: "per_outcome", policy: clusteredPolicy({ kpi: "conversion", kind: "proportion", direction: "increase", minLift: 0 }, scale) });
const ratioWorld = (lift: number): ClusteredWorld => ({
  baseRate: BASE_RATE,
  unitsPerTick: 500,
  lift,
  metric: "ratio",
  policy: clusteredPolicy({ kpi: "revenue_per_order", kind: "mean", direction: "increase", minLift: 0, metric: "ratio", numerator: "revenue", denominator: "orders" }),
});
/** Returning units (80 % seen in the previous experiment), orders per unit: the CUPED world. */
const RETURNING = { share: 0.8, activitySigma: 1 };
const returningWorld = (lift: number): ClusteredWorld => ({
  baseRate: BASE_RATE,
  unitsPerTick: 500,
  lift,
  metric: "count",
  returning: RETURNING,
  policy: clusteredPolicy({ kpi: "orders", kind: "mean", direction: "increase", minLift: 0, metric: "count" }),
});
function clustered(name: string, world: ClusteredWorld, runs: number, firstSeed: number, analysed: Analysed): Row {
  const results = Array.from({ length: runs }, (_, i) => clusteredRun(world, firstSeed + i, analysed));
  const row = summary(name, analysed, runs, firstSeed, results);
  const correlations = results.flatMap((r) => (r.correlation === undefined ? [] : [r.correlation]));
  if (!correlations.length) return row;
  // Units to a commit over every run, a run that never committed counting as never: unlike the
  // median over committed runs, this does not hide the runs a weaker test fails to finish.
  const toCommit = median(results.map((r) => (r.outcome === "commit" ? r.units : Infinity)));
  return {
    ...row,
    medianUnitsToCommitAllRuns: toCommit === Infinity ? null : toCommit,
    returning: { share: world.returning?.share ?? 0, correlation: Math.round((correlations.reduce((a, b) => a + b, 0) / correlations.length) * 1000) / 1000 },
  };
}

const only = args.includes("--cuped") ? "cuped" : args.includes("--clustered") ? "clustered" : args.includes("--independent") ? "independent" : "all";
const started = performance.now();
const rows: Row[] = [];
if (only === "all" || only === "independent")
  for (const inference of ["sequential", "fixed"] as const) {
    rows.push(scenario("A/A", 0, AA_RUNS, 1, inference));
    rows.push(scenario("+5% lift", 0.05, EFFECT_RUNS, 100_001, inference));
    rows.push(scenario("-5% lift", -0.05, EFFECT_RUNS, 200_001, inference));
  }
if (only === "all" || only === "clustered") {
  rows.push(clustered("clustered A/A", conversionWorld(0), AA_RUNS, 300_001, "per unit"));
  rows.push(clustered("clustered A/A", conversionWorld(0, VISITS_PER_UNIT), Math.max(100, Math.round(AA_RUNS / 5)), 300_001, "per outcome (before)"));
  rows.push(clustered("clustered +5% lift", conversionWorld(0.05), EFFECT_RUNS, 400_001, "per unit"));
  rows.push(clustered("clustered -5% lift", conversionWorld(-0.05), EFFECT_RUNS, 500_001, "per unit"));
  rows.push(clustered("ratio (revenue per order) A/A", ratioWorld(0), AA_RUNS, 600_001, "per unit"));
  rows.push(clustered("ratio (revenue per order) +5% lift", ratioWorld(0.05), EFFECT_RUNS, 700_001, "per unit"));
}
if (only !== "independent")
  for (const analysed of ["per unit", "per unit, CUPED"] as const) {
    rows.push(clustered("returning units, orders per unit, A/A", returningWorld(0), AA_RUNS, 800_001, analysed));
    rows.push(clustered("returning units, orders per unit, +5% lift", returningWorld(0.05), EFFECT_RUNS, 900_001, analysed));
  }
const seconds = (performance.now() - started) / 1000;
const setup = { baseRate: BASE_RATE, unitsPerArmPerTick: UNITS_PER_TICK, budgetPerArm: BUDGET, alpha: policy.alpha, sequentialTuning: policy.sequentialTuning, seconds };

if (json) {
  process.stdout.write(JSON.stringify({ setup, rows }, null, 2) + "\n");
} else {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const units = (x: number | null) => (x === null ? "-" : x.toLocaleString("en-US"));
  console.log(`decision quality: ${BASE_RATE * 100}% conversion, ${UNITS_PER_TICK} units/arm per tick, budget ${BUDGET.toLocaleString("en-US")} units/arm, alpha ${policy.alpha}, N* ${policy.sequentialTuning.toLocaleString("en-US")} (${seconds.toFixed(1)} s)\n`);
  console.log("| scenario | test | runs (seeds) | commit | rollback | inconclusive | median units/arm to commit | to rollback |");
  console.log("|---|---|---|---|---|---|---|---|");
  for (const r of rows)
    console.log(`| ${r.scenario} | ${r.inference === "sequential" ? "sequential (evolvd)" : r.inference === "fixed" ? "fixed-horizon, peeking" : `sequential, ${r.inference}`} | ${r.runs} (${r.seeds}) | ${pct(r.commitRate)} | ${pct(r.rollbackRate)} | ${pct(r.inconclusiveRate)} | ${units(r.medianUnitsToCommit)} | ${units(r.medianUnitsToRollback)} |`);
  const returning = rows.find((r) => r.returning)?.returning;
  if (returning) {
    console.log(`\nreturning units: ${pct(returning.share)} of units were in the previous experiment; correlation of their earlier and current orders per unit ${returning.correlation}`);
    const lifted = rows.filter((r) => r.returning && r.scenario.endsWith("lift"));
    const [plain, cuped] = [lifted.find((r) => r.inference === "per unit"), lifted.find((r) => r.inference === "per unit, CUPED")];
    if (plain?.medianUnitsToCommitAllRuns && cuped?.medianUnitsToCommitAllRuns)
      console.log(`median units/arm to a commit of the +5% lift over all runs (never = ∞): ${units(plain.medianUnitsToCommitAllRuns)} per unit → ${units(cuped.medianUnitsToCommitAllRuns)} with CUPED (${pct(cuped.medianUnitsToCommitAllRuns / plain.medianUnitsToCommitAllRuns - 1)})`);
  }
}
