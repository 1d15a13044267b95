import { describe, expect, it } from "vitest";
import type { Version } from "../../src/domain/version.js";
import { seededRng } from "../../src/random/seeded-rng.js";
import { BREAKER_MIN_OBSERVATIONS, BREAKER_WINDOW, SlidingBreaker } from "../../src/evidence/breakers.js";
import { LiveExperiment } from "../../src/stream/live-experiment.js";
import { rulesFor } from "../evidence.js";

const RUNNING = { status: "running", canaryStep: 0 } as const;

const version = (n: number): Version => ({ id: String(n).repeat(64).slice(0, 64), target: "t", values: { n }, parent: null, mutations: [], seed: null, generation: 1, createdAt: 0 });

describe("circuit breaker", () => {
  it("trips on the sliding window's rate, not before the minimum observations", () => {
    const breaker = new SlidingBreaker({ kpi: "error", direction: "decrease", limit: 0.1 });
    for (let i = 0; i < BREAKER_MIN_OBSERVATIONS - 1; i++) expect(breaker.observe(1)).toBeNull();
    expect(breaker.observe(1)).toBe(1);
  });

  it("does not trip on noise: a 2% error rate never crosses an 8% limit over 100,000 outcomes", () => {
    const rng = seededRng("breaker-noise");
    const breaker = new SlidingBreaker({ kpi: "error", direction: "decrease", limit: 0.08 });
    let trips = 0;
    for (let i = 0; i < 100_000; i++) if (breaker.observe(rng.next() < 0.02 ? 1 : 0) !== null) trips++;
    expect(trips).toBe(0);
  });

  it("trips a real breach within a few dozen outcomes", () => {
    const rng = seededRng("breaker-breach");
    const breaker = new SlidingBreaker({ kpi: "error", direction: "decrease", limit: 0.08 });
    let at = -1;
    for (let i = 0; i < 500 && at < 0; i++) if (breaker.observe(rng.next() < 0.4 ? 1 : 0) !== null) at = i + 1;
    expect(at).toBeGreaterThanOrEqual(BREAKER_MIN_OBSERVATIONS);
    expect(at).toBeLessThan(100);
  });

  it("forgets observations older than the window", () => {
    const breaker = new SlidingBreaker({ kpi: "error", direction: "decrease", limit: 0.5 });
    for (let i = 0; i < BREAKER_WINDOW; i++) breaker.observe(i < 200 ? 1 : 0);
    // 200 of 500 errors: 40%, under the limit; the next 400 zeros push the ones out.
    expect(breaker.observe(0)).toBeNull();
    expect(breaker.observations).toBe(BREAKER_WINDOW);
  });

  it("pulls the arm at once: the next unit of that arm gets the baseline", () => {
    const experiment = new LiveExperiment({
      id: "t/g1",
      target: "t",
      generation: 1,
      arms: [version(1), version(2)],
      weights: [0.5, 0.5],
     
      now: 0,
      ...rulesFor([["error", "proportion"]]),
      breakers: [{ kpi: "error", direction: "decrease", limit: 0.08 }],
    });
    const candidateUnits: string[] = [];
    for (let i = 0; candidateUnits.length < 40; i++) if (experiment.assign(`u${i}`).id === version(2).id) candidateUnits.push(`u${i}`);
    for (const [i, unit] of candidateUnits.entries()) {
      experiment.recordExposure(unit, version(2).id);
      experiment.recordOutcome(unit, version(2).id, { error: 1 }, 1000 + i);
      if (i === BREAKER_MIN_OBSERVATIONS - 2) expect(experiment.isPulled(version(2).id)).toBe(false);
    }
    expect(experiment.isPulled(version(2).id)).toBe(true);
    for (const unit of candidateUnits) expect(experiment.assign(unit).id).toBe(version(1).id);
    const snapshot = experiment.snapshot(2000, RUNNING);
    expect(snapshot.trips).toEqual([expect.objectContaining({ arm: version(2).id, kpi: "error", rate: 1, limit: 0.08 })]);
    expect(experiment.snapshot(3000, RUNNING).trips).toEqual([]);
  });
});
