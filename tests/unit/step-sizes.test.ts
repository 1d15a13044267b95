import { describe, expect, it } from "vitest";
import type { HistoryEntry } from "../../src/domain/history.js";
import type { Version } from "../../src/domain/version.js";
import { proposeCandidates } from "../../src/mutation/engine.js";
import { afterExperiment, NO_SCALES, scalesOf, stepScale } from "../../src/mutation/step-sizes.js";
import { seededRng } from "../../src/random/seeded-rng.js";

const version = (id: string, paths: string[]): Version => ({ id, target: "t", values: {}, parent: null, generation: 1, mutations: paths.map((path) => ({ path, op: "nudge", from: 1, to: 2 })), seed: null, createdAt: 0 });

describe("step sizes by the 1/5th success rule", () => {
  it("hold when one nudge in five wins, grow while they win, shrink while they lose, within [1/8, 4]", () => {
    let scales = NO_SCALES;
    for (let g = 0; g < 50; g++) scales = afterExperiment(scales, [version(`w${g}`, ["a"])], g % 5 === 0 ? `w${g}` : null);
    expect(stepScale(scales, "a")).toBeCloseTo(1, 10);
    let winning = NO_SCALES;
    for (let g = 0; g < 3; g++) winning = afterExperiment(winning, [version("x", ["a"])], "x");
    expect(stepScale(winning, "a")).toBeCloseTo(Math.E, 10);
    for (let g = 0; g < 30; g++) winning = afterExperiment(winning, [version("x", ["a"])], "x");
    expect(stepScale(winning, "a")).toBeCloseTo(4, 10);
    let losing = NO_SCALES;
    for (let g = 0; g < 100; g++) losing = afterExperiment(losing, [version("y", ["a", "b"])], null);
    expect(stepScale(losing, "a")).toBeCloseTo(0.125, 12);
    expect(stepScale(losing, "b")).toBeCloseTo(0.125, 12);
    expect(stepScale(losing, "never-tried")).toBe(1);
  });

  it("are replayed from the history as they were reached: ended experiments in order, killed ones not counted", () => {
    const c1 = version("c1", ["timeout_ms"]);
    const c2 = version("c2", ["timeout_ms", "retry.limit"]);
    const versions = new Map([c1, c2].map((v) => [v.id, v]));
    const transition = (experiment: string, to: "canary" | "committed" | "rolled_back" | "killed", arms?: string[]): HistoryEntry => ({ kind: "transition", at: 0, experiment, generation: 1, from: "running", to, reason: "", ...(arms ? { arms } : {}) });
    const history: HistoryEntry[] = [
      transition("t/g1", "canary", ["base", "c1", "c2"]),
      transition("t/g1", "committed"),
      { kind: "baseline", at: 0, version: "c1", previous: "base", cause: "commit", reason: "", experiment: "t/g1" },
      transition("t/g2", "canary", ["c1", "c2"]),
      transition("t/g2", "killed"),
    ];
    expect(scalesOf(history, versions)).toEqual(afterExperiment(NO_SCALES, [c1, c2], "c1"));
    expect(stepScale(scalesOf(history, versions), "timeout_ms")).toBeCloseTo(Math.exp(1 / 3 - 1 / 12), 12);
  });

  it("scale the nudges the engine draws, capped at the setting's range", () => {
    const parent: Version = { id: "p", target: "t", values: { x: 50 }, parent: null, generation: 0, mutations: [], seed: null, createdAt: 0 };
    const input = {
      target: "t",
      parent,
      plan: [{ path: "x", op: "nudge" as const, probability: 1, maxStep: 1, step: 0 }],
      schema: [{ path: "x", kind: "number" as const, min: 0, max: 100, doc: "" }],
      functions: {},
      validate: () => [],
      idOf: (v: unknown) => JSON.stringify(v),
      count: 40,
      generation: 1,
      now: 0,
    };
    const spread = (scale: number) => Math.max(...proposeCandidates({ ...input, rng: seededRng("s"), stepScale: () => scale }).candidates.map((c) => Math.abs((c.values.x as number) - 50)));
    expect(spread(1)).toBeLessThanOrEqual(1);
    expect(spread(4)).toBeGreaterThan(1);
    expect(spread(4)).toBeLessThanOrEqual(4);
    expect(spread(1000)).toBeLessThanOrEqual(100);
  });
});
