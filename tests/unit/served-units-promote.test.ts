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
