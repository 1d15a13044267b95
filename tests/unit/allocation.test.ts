import { describe, expect, it } from "vitest";
import { twinEngine } from "../../src/bandit/twin.js";
import { allocate, totalVariation } from "../../src/decide/allocation.js";
import type { ExperimentSnapshot } from "../../src/domain/snapshot.js";
import type { Policy } from "../../src/domain/target.js";
import { checkoutTarget } from "../helpers.js";
import { perUnit } from "../../src/evidence/arm-stats.js";

const base: Policy = checkoutTarget().policy;
const ids = ["a", "b", "c"].map((x) => x.repeat(64));

function snapshot(units: number[], rates: number[], status: "canary" | "running" = "running", pulled: string[] = []): ExperimentSnapshot {
  return {
    experiment: "checkout/g1",
    target: "checkout",
    generation: 1,
    status,
    at: 0,
    arms: ids.slice(0, units.length),
    pulled,
    canaryStep: 0,
    units,
    periods: [{ revision: 1, from: 0, weights: units.map(() => 1 / units.length), newUnits: units, kpis: units.map((n, i) => ({ conversion: perUnit({ n, sum: Math.round(n * (rates[i] as number)), sumSquares: Math.round(n * (rates[i] as number)) }) })) }],
    trips: [],
  };
}

const sum = (w: number[]) => w.reduce((a, b) => a + b, 0);

describe("allocation", () => {
  it("splits candidates equally at the canary step until burn-in", () => {
    expect(allocate(snapshot([100, 100, 100], [0.1, 0.2, 0.1], "canary"), base, twinEngine, 1, 0)).toEqual([0.9, 0.05, 0.05]);
  });

  it("moves traffic to the arm most likely best, keeping the floors", () => {
    const w = allocate(snapshot([20000, 20000, 20000], [0.1, 0.12, 0.1]), base, twinEngine, 1, 2);
    expect(sum(w)).toBeCloseTo(1, 12);
    expect(w[1]).toBeGreaterThan(0.7);
    expect(w[2]).toBeGreaterThanOrEqual(base.allocation.floor - 1e-12);
    expect(w[0]).toBeGreaterThanOrEqual(base.allocation.baselineFloor - 1e-12);
  });

  it("caps all candidates at the canary step's share", () => {
    const w = allocate(snapshot([20000, 20000, 20000], [0.1, 0.12, 0.11], "canary"), base, twinEngine, 1, 1);
    expect(1 - (w[0] as number)).toBeCloseTo(base.canary.steps[1] as number, 12);
    expect(w[1]).toBeGreaterThan(w[2] as number);
  });

  it("gives pulled arms nothing", () => {
    const w = allocate(snapshot([20000, 20000, 20000], [0.1, 0.12, 0.1], "running", [ids[1] as string]), base, twinEngine, 1, 2);
    expect(w[1]).toBe(0);
    expect(sum(w)).toBeCloseTo(1, 12);
  });

  it("mirrors lower-is-better KPIs", () => {
    const policy: Policy = { ...base, primary: { ...base.primary, direction: "decrease" } };
    const w = allocate(snapshot([20000, 20000, 20000], [0.1, 0.12, 0.1]), policy, twinEngine, 1, 2);
    expect(w[1]).toBeCloseTo(base.allocation.floor, 2);
  });

  it("keeps the equal split in fixed mode", () => {
    const policy: Policy = { ...base, allocation: { ...base.allocation, mode: "fixed" } };
    expect(allocate(snapshot([20000, 20000, 20000], [0.1, 0.12, 0.1]), policy, twinEngine, 1, 2)).toEqual([0.5, 0.25, 0.25]);
  });

  it("measures weight moves by total variation", () => {
    expect(totalVariation([0.5, 0.5], [0.7, 0.3])).toBeCloseTo(0.2, 12);
  });
});
