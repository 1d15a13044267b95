/**
 * Search benchmark: how much of the achievable gain each way of proposing candidates reaches on
 * simulated response surfaces (scripts/bench/search-surfaces/: a target file and a scenario
 * each), at equal traffic. For every surface and seed (1..N): strategy "mutation" (plain seeded
 * mutations of the baseline, no budget extension: evolvd before the surrogate) runs twelve
 * generations; "surrogate" and "random" then get exactly the visits it used (maxVisits; up to
 * 1,000 generations). Each run is the real loop — src/sim/runner.ts runSimulation on a
 * MemoryStore — in a child process of its own.
 *
 * The achievable gain is the best true primary KPI (the scenario's model over the segment mix)
 * anywhere in the schema with every guardrail within its tolerance of the anchor, the target
 * file's baseline: a seeded sample of 20,000 schema-valid configs, refined coordinate by
 * coordinate (and by random pairs of coordinates) from the 20 best feasible ones. A run reaches
 * (true primary of its final baseline − anchor) / (best feasible − anchor) of it; a final
 * baseline beyond a guardrail's tolerance still counts, and is flagged.
 *
 * Per surface and strategy: median and worst-seed fraction of the gain, median units (visits),
 * commits and rollbacks per run, false commits over decided experiments (committed, rolled back
 * or inconclusive) on the A/A surface, the largest guardrail drift of a final baseline from the
 * anchor as a share of its tolerance (> 1: beyond it), and the median fraction after each
 * generation (the committed arm's truth, the last baseline carried forward).
 *
 *   npm run bench:search                                   # table: 10 seeds, every surface
 *   npm run bench:search -- --seeds 2 --surfaces recommendations --jobs 4
 *   npm run bench:search -- --json                         # one JSON object
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadTargetFile } from "../../src/config/target-file.js";
import { silentLogger } from "../../src/domain/logger.js";
import type { Target } from "../../src/domain/target.js";
import type { JsonValue } from "../../src/domain/values.js";
import type { ResponseModel } from "../../src/sim/response-model.js";
import { runSimulation } from "../../src/sim/runner.js";
import { checkAgainstTarget, loadScenarioFile, type Scenario } from "../../src/sim/scenario.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import { drifts, feasible, gainOf, optimum, problemOf, type Optimum, type Problem } from "./search-surfaces/optimum.js";

const SCRIPT = fileURLToPath(import.meta.url);
const DIR = resolve(SCRIPT, "..", "search-surfaces");
const STRATEGIES = ["mutation", "surrogate", "random"] as const;
type Strategy = (typeof STRATEGIES)[number];
type Truth = Record<string, number>;
const SAMPLES = 20_000;
const STARTS = 20;

const args = process.argv.slice(2);
const option = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);

function load(surface: string): { scenario: Scenario; target: Target } {
  const scenario = loadScenarioFile(join(DIR, `${surface}.scenario.json`));
  if (!scenario.ok) throw new Error(scenario.error.message);
  const target = loadTargetFile(scenario.value.targetFile);
  if (!target.ok) throw new Error(target.error.message);
  const mismatch = checkAgainstTarget(scenario.value, target.value);
  if (mismatch.length) throw new Error(`${scenario.value.file}: ${mismatch.join("; ")}`);
  return { scenario: scenario.value, target: target.value };
}

// ---- one run, in a child process: its result as one JSON line on stdout ----

interface Run {
  surface: string;
  seed: string;
  strategy: Strategy;
  visits: number;
  seconds: number;
  generations: number;
  commits: number;
  statuses: Record<string, number>;
  final: Truth;
  /** True KPIs of the baseline after each generation. */
  after: Truth[];
}

async function child(surface: string, seed: string, strategy: Strategy, maxVisits: number | undefined): Promise<Run> {
  const { scenario, target } = load(surface);
  const policy = { ...scenario.policy, maxGenerations: strategy === "mutation" ? 12 : 1000, search: { ...(scenario.policy.search as object | undefined), strategy, ...(strategy === "mutation" ? { extendFactor: 1 } : {}) } };
  const started = performance.now();
  const report = await runSimulation({ scenario: { ...scenario, policy }, target, seed, store: new MemoryStore(), log: silentLogger, ...(maxVisits ? { maxVisits } : {}) });
  let current = report.baseline.initial.truth as Truth;
  const after = report.generations.map((g) => (current = (g.committed ? g.arms.find((a) => a.version === g.committed)?.truth : null) ?? current));
  const statuses: Record<string, number> = {};
  for (const g of report.generations) statuses[g.status] = (statuses[g.status] ?? 0) + 1;
  const seconds = (performance.now() - started) / 1000;
  return { surface, seed, strategy, visits: report.visits, seconds, generations: report.generations.length, commits: report.commits, statuses, final: report.baseline.final.truth as Truth, after };
}

function spawnRun(surface: string, seed: string, strategy: Strategy, maxVisits?: number): Promise<Run> {
  return new Promise((done, fail) => {
    const proc = spawn(process.execPath, [...process.execArgv, SCRIPT, "--child", surface, seed, strategy, String(maxVisits ?? 0)], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    proc.stdout.on("data", (d: Buffer) => (out += d));
    proc.stderr.on("data", (d: Buffer) => (err += d));
    proc.on("close", (code) => (code === 0 ? done(JSON.parse(out) as Run) : fail(new Error(`${surface} seed ${seed} ${strategy}: exit ${code}\n${err}`))));
  });
}

// ---- summary ----

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (x: number, digits = 4): number => Number(x.toPrecision(digits));
const roundValues = (v: JsonValue): JsonValue => (typeof v === "number" ? round(v) : Array.isArray(v) ? v.map(roundValues) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, roundValues(x)])) : v);

function summarise(p: Problem, best: Optimum, runs: Run[], aa: boolean) {
  const fraction = (t: Truth): number | null => (aa || best.gain <= 0 ? null : gainOf(p, t) / best.gain);
  return STRATEGIES.map((strategy) => {
    const mine = runs.filter((r) => r.strategy === strategy);
    const fractions = mine.map((r) => fraction(r.final)).filter((f): f is number => f !== null);
    const decided = mine.reduce((n, r) => n + (r.statuses.committed ?? 0) + (r.statuses.rolled_back ?? 0) + (r.statuses.inconclusive ?? 0), 0);
    const drift = mine.flatMap((r) => Object.entries(drifts(p, r.final)).map(([kpi, share]) => ({ kpi, share, seed: r.seed }))).sort((a, b) => b.share - a.share)[0] ?? null;
    const longest = Math.max(0, ...mine.map((r) => r.after.length));
    const trajectory = aa ? [] : Array.from({ length: longest }, (_, g) => round(median(mine.map((r) => fraction(r.after[Math.min(g, r.after.length - 1)] ?? r.final) ?? 0)), 3));
    return {
      strategy,
      runs: mine.length,
      fractionOfGain: fractions.length ? { median: round(median(fractions), 3), worst: round(Math.min(...fractions), 3), bySeed: fractions.map((f) => round(f, 3)) } : null,
      infeasibleFinals: mine.filter((r) => !feasible(p, r.final)).map((r) => r.seed),
      medianUnits: median(mine.map((r) => r.visits)),
      medianGenerations: median(mine.map((r) => r.generations)),
      commitsPerRun: mine.reduce((n, r) => n + r.commits, 0) / Math.max(1, mine.length),
      rollbacksPerRun: mine.reduce((n, r) => n + (r.statuses.rolled_back ?? 0), 0) / Math.max(1, mine.length),
      falseCommits: aa ? { commits: mine.reduce((n, r) => n + r.commits, 0), decided } : null,
      largestGuardrailDrift: drift ? { ...drift, share: round(drift.share, 4) } : null,
      medianSecondsPerRun: round(median(mine.map((r) => r.seconds)), 3),
      trajectory,
    };
  });
}

async function main(): Promise<void> {
  const json = args.includes("--json");
  const seeds = Array.from({ length: Number(option("--seeds") ?? 10) }, (_, i) => String(i + 1));
  const jobs = Math.max(1, Number(option("--jobs") ?? 2));
  const all = readdirSync(DIR).filter((f) => f.endsWith(".scenario.json")).map((f) => f.replace(/\.scenario\.json$/, "")).sort();
  const surfaces = option("--surfaces")?.split(",") ?? all;
  for (const s of surfaces) if (!all.includes(s)) throw new Error(`--surfaces: no surface "${s}" (have ${all.join(", ")})`);
  const started = performance.now();

  // At most `jobs` children at a time; surrogate and random follow their seed's mutation run.
  let running = 0;
  const waiting: (() => void)[] = [];
  const limited = async (surface: string, seed: string, strategy: Strategy, maxVisits?: number): Promise<Run> => {
    while (running >= jobs) await new Promise<void>((wake) => waiting.push(wake));
    running++;
    try {
      const run = await spawnRun(surface, seed, strategy, maxVisits);
      process.stderr.write(`  ${surface} seed ${seed} ${strategy}: ${run.generations} generations, ${run.visits} visits, ${run.commits} commits, ${run.seconds.toFixed(1)} s\n`);
      return run;
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
  const runs = (
    await Promise.all(
      surfaces.flatMap((surface) =>
        seeds.map(async (seed) => {
          const first = await limited(surface, seed, "mutation");
          return [first, ...(await Promise.all((["surrogate", "random"] as const).map((s) => limited(surface, seed, s, first.visits))))];
        }),
      ),
    )
  ).flat();

  const results = surfaces.map((surface) => {
    const { scenario, target } = load(surface);
    const problem = problemOf(target, scenario.model as ResponseModel, scenario.traffic.segments);
    const aa = surface.endsWith("-aa");
    const best = optimum(problem, true, "constrained", SAMPLES, STARTS);
    const free = optimum(problem, false, "unconstrained", SAMPLES, 5);
    const rel = (o: Optimum) => round(o.gain / problem.anchor[target.policy.primary.kpi]!, 3);
    return {
      surface,
      primary: `${target.policy.primary.kpi} (${target.policy.primary.direction})`,
      anchor: Object.fromEntries(Object.entries(problem.anchor).map(([k, v]) => [k, round(v)])),
      bestFeasible: { relativeGain: rel(best), truth: roundValues(best.truth), guardrailShares: roundValues(drifts(problem, best.truth)), values: roundValues(best.values), feasibleSamples: best.feasibleSamples },
      unconstrained: { relativeGain: rel(free), guardrailShares: roundValues(drifts(problem, free.truth)) },
      strategies: summarise(problem, best, runs.filter((r) => r.surface === surface), aa),
    };
  });
  const out = { setup: { surfaces, seeds: `1..${seeds.length}`, jobs, samples: SAMPLES, starts: STARTS, seconds: round((performance.now() - started) / 1000) }, results };
  if (json) return void process.stdout.write(JSON.stringify(out, null, 2) + "\n");

  const pct = (x: number | null | undefined) => (x === null || x === undefined ? "–" : `${(x * 100).toFixed(0)}%`);
  console.log(`search: ${surfaces.length} surface(s) × ${seeds.length} seed(s) × ${STRATEGIES.length} strategies, equal visits per seed (${out.setup.seconds} s, ${jobs} jobs)\n`);
  for (const r of results) {
    console.log(`## ${r.surface}: ${r.primary}; anchor ${JSON.stringify(r.anchor)}`);
    console.log(`best feasible +${pct(r.bestFeasible.relativeGain)} relative (guardrail shares ${JSON.stringify(r.bestFeasible.guardrailShares)}); unconstrained best +${pct(r.unconstrained.relativeGain)} (${JSON.stringify(r.unconstrained.guardrailShares)})`);
    console.log(`optimum: ${JSON.stringify(r.bestFeasible.values)}\n`);
    console.log("| strategy | gain median | gain worst | infeasible finals | units (median) | generations | commits/run | rollbacks/run | false commits / decided | largest guardrail drift | s/run |");
    console.log("|---|---|---|---|---|---|---|---|---|---|---|");
    for (const s of r.strategies) {
      const drift = s.largestGuardrailDrift ? `${s.largestGuardrailDrift.share.toFixed(3)} (${s.largestGuardrailDrift.kpi}, seed ${s.largestGuardrailDrift.seed})` : "–";
      const falses = s.falseCommits ? `${s.falseCommits.commits} / ${s.falseCommits.decided}` : "–";
      console.log(`| ${s.strategy} | ${pct(s.fractionOfGain?.median)} | ${pct(s.fractionOfGain?.worst)} | ${s.infeasibleFinals.length}/${s.runs} | ${Math.round(s.medianUnits)} | ${s.medianGenerations} | ${s.commitsPerRun.toFixed(1)} | ${s.rollbacksPerRun.toFixed(1)} | ${falses} | ${drift} | ${s.medianSecondsPerRun.toFixed(1)} |`);
    }
    for (const s of r.strategies) if (s.trajectory.length) console.log(`  ${s.strategy.padEnd(9)} gain after each generation: ${s.trajectory.slice(0, 24).map(pct).join(" ")}${s.trajectory.length > 24 ? ` … g${s.trajectory.length} ${pct(s.trajectory[s.trajectory.length - 1])}` : ""}`);
    console.log("");
  }
}

if (args[0] === "--child") {
  const [, surface, seed, strategy, maxVisits] = args;
  child(surface!, seed!, strategy as Strategy, Number(maxVisits) || undefined).then(
    (run) => process.stdout.write(JSON.stringify(run) + "\n"),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(1);
    },
  );
} else
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
