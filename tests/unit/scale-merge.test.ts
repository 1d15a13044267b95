import { describe, expect, it } from "vitest";
import { perUnit } from "../../src/evidence/arm-stats.js";
import { structureOf, withMergedStats, type SharedCheckpoint } from "../../src/scale/merge.js";

const checkpoint: SharedCheckpoint = {
  format: 1,
  id: "checkout/g3",
  generation: 3,
  arms: ["a", "b"],
  status: "running",
  canaryStep: 1,
  pulled: [],
  table: { hashVersion: "murmur3-v1", revision: 2, buckets: "" },
  unitsPerArm: [10, 12],
  periods: [
    { revision: 1, from: 100, weights: [0.5, 0.5], newUnits: [4, 6], kpis: [{ conversion: perUnit({ n: 4, sum: 1, sumSquares: 1 }) }, {}] },
    { revision: 2, from: 200, weights: [0.4, 0.6], newUnits: [6, 6], kpis: [{}, { conversion: perUnit({ n: 2, sum: 2, sumSquares: 2 }) }] },
  ],
  served: [["u1", 33]],
  ticks: 7,
};

describe("the shared checkpoint", () => {
  it("keeps the allocation and drops statistics and who was served what", () => {
    const shared = structureOf(checkpoint);
    expect(shared.periods.map((p) => [p.revision, p.from, p.weights])).toEqual([
      [1, 100, [0.5, 0.5]],
      [2, 200, [0.4, 0.6]],
    ]);
    expect(shared.periods.every((p) => p.newUnits.every((n) => n === 0) && p.kpis.every((k) => Object.keys(k).length === 0))).toBe(true);
    expect(shared.unitsPerArm).toEqual([0, 0]);
    expect(shared.served).toEqual([]);
    expect({ ...shared, unitsPerArm: checkpoint.unitsPerArm, periods: checkpoint.periods, served: checkpoint.served }).toEqual(checkpoint);
  });

  it("takes every period's statistics from the merged ones, sorted by KPI, ignoring unknown periods", () => {
    const merged = withMergedStats(structureOf(checkpoint), {
      kpis: new Map([
        [2, new Map([[1, { latency_ms: perUnit({ n: 3, sum: 600, sumSquares: 120_000 }), conversion: perUnit({ n: 3, sum: 1, sumSquares: 1 }) }]])],
        [9, new Map([[0, { conversion: perUnit({ n: 99, sum: 99, sumSquares: 99 }) }]])],
      ]),
      newUnits: new Map([[1, new Map([[0, 5], [1, 7]])]]),
      units: new Map([[0, 5], [1, 8]]),
      segments: new Map(),
    });
    expect(merged.unitsPerArm).toEqual([5, 8]);
    expect(merged.periods.map((p) => p.newUnits)).toEqual([
      [5, 7],
      [0, 0],
    ]);
    expect(merged.periods[0]?.kpis).toEqual([{}, {}]);
    expect(Object.keys(merged.periods[1]?.kpis[1] ?? {})).toEqual(["conversion", "latency_ms"]);
    expect(merged.periods[1]?.kpis[1]?.latency_ms).toEqual(perUnit({ n: 3, sum: 600, sumSquares: 120_000 }));
    expect(merged.ticks).toBe(7);
  });
});
