import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTargetFile } from "../../src/config/target-file.js";
import { silentLogger } from "../../src/domain/logger.js";
import { runSimulation, type SimulationReport } from "../../src/sim/runner.js";
import { loadScenarioFile } from "../../src/sim/scenario.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import { ROOT, tempDir } from "../helpers.js";

async function simulate(name: string, seed?: string): Promise<SimulationReport> {
  const scenario = loadScenarioFile(join(ROOT, "simulations", `${name}.json`));
  if (!scenario.ok) throw new Error(scenario.error.message);
  const target = loadTargetFile(scenario.value.targetFile);
  if (!target.ok) throw new Error(target.error.message);
  return runSimulation({ scenario: scenario.value, target: target.value, store: new MemoryStore(), log: silentLogger, ...(seed ? { seed } : {}) });
}

describe("the closed loop on the shipped scenarios (default seeds)", () => {
  it("better region: commits improvements and the baseline's true conversion rises without hurting guardrails", async () => {
    const report = await simulate("checkout-better-region");
    expect(report.commits).toBeGreaterThanOrEqual(1);
    const before = report.baseline.initial.truth!;
    const after = report.baseline.final.truth!;
    expect(after.conversion).toBeGreaterThan(before.conversion! * 1.1);
    expect(after.latency_ms).toBeLessThan(before.latency_ms! * 1.05);
    expect(after.error).toBeLessThan(before.error! * 1.1);
    // Each commit's new baseline is the baseline arm of the next generation. The run is the same
    // every time (the scenario's seed, 7, in virtual time): generations 2 and 3 commit and each is
    // followed by a generation that went live, so every commit here has a next generation to check.
    expect(report.seed).toBe("7");
    const committed = report.generations.filter((g) => g.committed);
    expect(committed.length).toBeGreaterThanOrEqual(1);
    for (const g of committed) {
      const next = report.generations.find((n) => n.generation === g.generation + 1);
      expect(next?.arms.length, `generation ${g.generation + 1} live after the commit in ${g.generation}`).toBeGreaterThan(0);
      expect(next?.arms[0]).toMatchObject({ role: "baseline", version: g.committed });
    }
    expect(report.events.rejected).toEqual({});
  });

  it("A/A: commits nothing", async () => {
    const report = await simulate("checkout-aa");
    expect(report.generations.length).toBe(4);
    expect(report.commits).toBe(0);
    expect(report.baseline.final.version).toBe(report.baseline.initial.version);
    expect(report.generations.every((g) => ["inconclusive", "rolled_back", "rejected"].includes(g.status))).toBe(true);
  });

  it("clustered A/A (units that differ, a dozen outcomes each): analysed per unit, commits nothing", async () => {
    const report = await simulate("checkout-clustered-aa");
    expect(report.generations.length).toBe(4);
    expect(report.commits).toBe(0);
    // Units returned: far more outcomes than units in every experiment.
    const g1 = report.generations[0]!;
    const units = g1.arms.reduce((sum, a) => sum + a.units, 0);
    expect(report.events.accepted / 2).toBeGreaterThan(3 * units);
    // Several outcomes per visit: 1 + Poisson(0.5), 1.5 on average.
    const outcomes = report.events.accepted - report.visits;
    expect(outcomes / report.visits).toBeGreaterThan(1.4);
    expect(outcomes / report.visits).toBeLessThan(1.6);
    expect(report.generations.every((g) => ["inconclusive", "rolled_back", "rejected"].includes(g.status))).toBe(true);
  });

  it("guardrail trap: the surge-pricing candidate is pulled on live traffic and never committed", async () => {
    const report = await simulate("checkout-guardrail");
    const surge = report.generations.flatMap((g) =>
      g.arms.filter((a) => (a.mutations as { to: unknown }[]).some((m) => m.to === "pricing.surge")).map((a) => ({ g, a })),
    );
    expect(surge.length).toBeGreaterThan(0);
    for (const { g, a } of surge) {
      expect(a.pulled).toBe(true);
      expect(g.committed).not.toBe(a.version);
      expect(g.pulled.find((p) => p.version === a.version)?.reason).toMatch(/error/);
    }
    expect(report.commits).toBe(0);
  });

  it("segments that want different configurations: per-segment baselines beat the best single version the run saw, in true KPIs", async () => {
    const report = await simulate("checkout-segment-baselines");
    const { segments, bestSingle, final } = report.baseline;
    expect(segments && bestSingle).toBeTruthy();
    // Each traffic segment ends on its own version, and neither is the target's baseline.
    const served = Object.values(segments?.served ?? {});
    expect(new Set(served).size).toBe(2);
    expect(served).not.toContain(final.version);
    const pricing = (id: string) => report.generations.flatMap((g) => g.arms).find((a) => a.version === id);
    expect(pricing(segments?.served.mobile as string)).toBeDefined();
    const conversion = (t: Record<string, number> | null | undefined) => t?.conversion ?? NaN;
    expect(conversion(segments?.truth)).toBeGreaterThan(conversion(bestSingle?.truth) + 0.01);
    // No guardrail paid for it beyond its tolerance (latency 5 %, error 10 %) against the file's baseline.
    const before = report.baseline.initial.truth ?? {};
    expect((segments?.truth?.latency_ms ?? Infinity) / (before.latency_ms ?? 0)).toBeLessThan(1.05);
    expect((segments?.truth?.error ?? Infinity) / (before.error ?? 0)).toBeLessThan(1.1);
  });
});

describe("replay of a recorded stream", () => {
  it("reaches the same decisions as the run that recorded it, and rejects bad lines without stopping", async () => {
    const dir = tempDir();
    const recording = join(dir, "recorded.ndjson");
    const lines: string[] = [];
    const scenario = loadScenarioFile(join(ROOT, "simulations", "checkout-short.json"));
    if (!scenario.ok) throw new Error(scenario.error.message);
    const target = loadTargetFile(scenario.value.targetFile);
    if (!target.ok) throw new Error(target.error.message);
    const live = await runSimulation({ scenario: scenario.value, target: target.value, store: new MemoryStore(), log: silentLogger, record: (l) => lines.push(l) });
    // Two bad lines in the middle of the recording.
    lines.splice(100, 0, "{oops", JSON.stringify({ type: "outcome", target: "checkout", unit: "u1", ts: JSON.parse(lines[99]!).ts, metrics: { conversion: "yes" } }));
    writeFileSync(recording, lines.join("\n") + "\n");

    const replayed = await runSimulation({ scenario: { ...scenario.value, replay: recording }, target: target.value, store: new MemoryStore(), log: silentLogger });
    expect(replayed.events.rejected).toEqual({ invalid_json: 1, invalid_metrics: 1 });
    expect(replayed.events.accepted).toBe(live.events.accepted);
    const outcome = (r: SimulationReport) => r.generations.map((g) => ({ status: g.status, reason: g.reason, arms: g.arms.map((a) => [a.version, a.units, a.kpis]) }));
    expect(outcome(replayed)).toEqual(outcome(live));
  });

  it("the shipped replay scenario replays its recording to the recorded run's decision", async () => {
    const [replayed, live] = [await simulate("checkout-replay"), await simulate("checkout-short")];
    expect(replayed.visits).toBeGreaterThan(1000);
    expect(replayed.events.rejected).toEqual({});
    expect(replayed.generations.map((g) => [g.status, g.arms.map((a) => a.units)])).toEqual(live.generations.map((g) => [g.status, g.arms.map((a) => a.units)]));
  });
});
