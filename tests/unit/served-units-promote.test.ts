import { describe, expect, it } from "vitest";
import { ServedUnits } from "../../src/evidence/served-units.js";

describe("per-unit counts", () => {
  it("take 16 bits until a unit passes 65,535 outcomes of a KPI, then 32 bits for its chunk, losing nothing", () => {
    const served = new ServedUnits(2);
    served.record("busy", 0, 1);
    served.record("quiet", 0, 1);
    const busy = served.armRow("busy", 0, 1).row;
    const quiet = served.armRow("quiet", 0, 1).row;
    served.add(quiet, 1, 2);
    expect(served.countsOf(busy)).toBeInstanceOf(Uint16Array);
    for (let i = 0; i < 70_000; i++) served.add(busy, 0, 1);
    expect(served.countsOf(busy)).toBeInstanceOf(Uint32Array);
    expect(served.countsOf(busy)[served.slot(busy)]).toBe(70_000);
    expect(served.sumsOf(busy)[served.slot(busy)]).toBe(70_000);
    expect(served.countsOf(quiet)[served.slot(quiet) + 1]).toBe(1);
    // A journal replays into 32 bits as well.
    const copy = new ServedUnits(2);
    served.startJournal();
    served.add(busy, 0, 1);
    served.add(quiet, 1, 2);
    copy.replay(served.drainJournal());
    const row = copy.armRow("busy", 0, 1).row;
    expect(copy.countsOf(row)[copy.slot(row)]).toBe(70_001);
  });
});

describe("the values a unit leaves for CUPED", () => {
  it("are each exposed unit's per-outcome mean, sorted by key, the first `max` units in row order", async () => {
    const { unitKey, KEY } = await import("../../src/evidence/unit-key.js");
    const metric = { name: "revenue", type: "per_outcome", raw: 0, denominator: -1, cap: Infinity, quantile: NaN, capPercentile: NaN } as const;
    const served = new ServedUnits(1);
    const expected: [number, number][] = [];
    for (let u = 0; u < 500; u++) {
      served.record(`u${u}`, u % 2, 1);
      const row = served.armRow(`u${u}`, u % 2, 1).row;
      // Every fifth unit has no outcome: it has no value to leave.
      if (u % 5 === 0) continue;
      served.add(row, 0, u);
      served.add(row, 0, u + 1);
      unitKey(`u${u}`);
      expected.push([KEY[0] as number, u + 0.5]);
    }
    const all = served.sortedUnitValues(metric, Infinity);
    const sorted = [...expected].sort((a, b) => a[0] - b[0]);
    expect([...all.keys]).toEqual(sorted.map((e) => e[0]));
    expect([...all.values]).toEqual(sorted.map((e) => Math.fround(e[1])));
    // Capped: the first 100 units with a value, in the order they were first seen.
    const first = served.sortedUnitValues(metric, 100);
    expect([...first.keys]).toEqual(expected.slice(0, 100).map((e) => e[0]).sort((a, b) => a - b));
  });
});
