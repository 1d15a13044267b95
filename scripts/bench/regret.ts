/**
 * Regret benchmark: a simulated 4-arm experiment (conversion 10%, 11%, 12%, 13%; arm 0 is the
 * baseline), 2,000 units per analysis tick for 200 ticks, averaged over 20 seeds. Cumulative
 * expected regret — Σ units × (best rate − served rate) — of evolvd's allocation (the real
 * allocate() with the WebAssembly kernel) against a uniform split of the same traffic: Thompson,
 * top-two Thompson, UCB and ε-greedy.
 *
 *   npm run bench:regret            # table
 *   npm run bench:regret -- --json
 */
import { loadWasmEngine } from "../../src/bandit/kernel.js";
import { parsePolicy } from "../../src/config/policy.js";
import { allocate } from "../../src/decide/allocation.js";
import type { ExperimentSnapshot } from "../../src/domain/snapshot.js";
import type { Policy } from "../../src/domain/target.js";
import { seededRng } from "../../src/random/seeded-rng.js";
import { binomial } from "../../src/sim/binomial.js";
import { perUnit } from "../../src/evidence/arm-stats.js";

const json = process.argv.includes("--json");
const RATES = [0.1, 0.11, 0.12, 0.13];
const UNITS_PER_TICK = 2000;
const TICKS = 200;
const SEEDS = 20;
const BEST = Math.max(...RATES);
const engine = loadWasmEngine();
const ARMS = RATES.map((_, i) => String(i).repeat(64));

function policyWith(allocation: Record<string, unknown>): Policy {
  const { policy, problems } = parsePolicy({ primary: { kpi: "conversion", kind: "proportion", direction: "increase" }, allocation });
  if (!policy) throw new Error(problems.join("; "));
  return policy;
}

function run(policy: Policy | null, seed: number): number {
  const rng = seededRng(`regret/${seed}`);
  const n = RATES.map(() => 0);
  const successes = RATES.map(() => 0);
  let weights = RATES.map(() => 1 / RATES.length);
  let regret = 0;
  for (let tick = 0; tick < TICKS; tick++) {
    // Each unit is served by the weights (a multinomial split of the tick's traffic).
    const served = RATES.map(() => 0);
    for (let u = 0; u < UNITS_PER_TICK; u++) {
      let x = rng.next();
      let arm = 0;
      while (arm < weights.length - 1 && x >= (weights[arm] as number)) x -= weights[arm++] as number;
      served[arm] = (served[arm] as number) + 1;
    }
    served.forEach((count, arm) => {
      n[arm] = (n[arm] as number) + count;
      successes[arm] = (successes[arm] as number) + binomial(count, RATES[arm] as number, rng);
      regret += count * (BEST - (RATES[arm] as number));
    });
    if (!policy) continue;
    const snapshot: ExperimentSnapshot = {
      experiment: "regret",
      target: "regret",
      generation: 1,
      status: "running",
      at: tick,
      arms: ARMS,
      pulled: [],
      canaryStep: policy.canary.steps.length - 1,
      units: [...n],
      periods: [{ revision: 1, from: 0, weights, newUnits: [...n], kpis: n.map((count, i) => ({ conversion: perUnit({ n: count, sum: successes[i] as number, sumSquares: successes[i] as number }) })) }],
      trips: [],
    };
    weights = allocate(snapshot, policy, engine, rng.int(2 ** 32), snapshot.canaryStep);
  }
  return regret;
}

const variants: [string, Policy | null][] = [
  ["uniform split", null],
  ["thompson (floor 0.05, no baseline floor)", policyWith({ mode: "thompson", baselineFloor: 0 })],
  ["top-two thompson (floor 0.05, no baseline floor)", policyWith({ mode: "top-two", baselineFloor: 0 })],
  ["ucb (floor 0.05, no baseline floor)", policyWith({ mode: "ucb", baselineFloor: 0 })],
  ["epsilon-greedy, ε 0.1 (floor 0.05, no baseline floor)", policyWith({ mode: "epsilon-greedy", epsilon: 0.1, baselineFloor: 0 })],
  ["thompson, daemon defaults (baseline floor 0.2)", policyWith({ mode: "thompson" })],
];
const started = performance.now();
const rows = variants.map(([name, policy]) => {
  const regrets = Array.from({ length: SEEDS }, (_, seed) => run(policy, seed + 1));
  return { name, meanRegret: regrets.reduce((a, b) => a + b, 0) / SEEDS };
});
const uniform = rows[0]!.meanRegret;
const result = {
  setup: { rates: RATES, unitsPerTick: UNITS_PER_TICK, ticks: TICKS, seeds: `1..${SEEDS}`, engine: engine.name, seconds: (performance.now() - started) / 1000 },
  rows: rows.map((r) => ({ ...r, ratioToUniform: r.meanRegret / uniform })),
};
if (json) process.stdout.write(JSON.stringify(result, null, 2) + "\n");
else {
  console.log(`regret: 4 arms at ${RATES.map((r) => `${r * 100}%`).join(", ")}; ${UNITS_PER_TICK} units × ${TICKS} ticks; mean of ${SEEDS} seeds (${result.setup.seconds.toFixed(1)} s)\n`);
  console.log("| allocation | cumulative regret (conversions lost) | vs uniform |");
  console.log("|---|---|---|");
  for (const r of result.rows) console.log(`| ${r.name} | ${r.meanRegret.toFixed(0)} | ${(r.ratioToUniform * 100).toFixed(1)}% |`);
}
