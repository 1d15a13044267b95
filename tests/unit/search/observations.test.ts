import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { restore } from "../../../src/lifecycle/restore.js";
import type { ResponseModel } from "../../../src/sim/response-model.js";
import { simulationScreener } from "../../../src/sim/screening.js";
import { observationsOf } from "../../../src/search/observations.js";
import { ROOT } from "../../helpers.js";
import { harness, NEUTRAL, smallTarget } from "../lifecycle/harness.js";

const scenario = JSON.parse(readFileSync(join(ROOT, "simulations", "checkout-better-region.json"), "utf8"));
const screen = simulationScreener(scenario.model as ResponseModel, scenario.traffic.segments);

describe("the evidence the search keeps", () => {
  it("grows with every screened and live arm, and a replay of the history gives the same list", () => {
    const target = smallTarget({ screening: { scenario: "x", unitsPerArm: 300 } });
    const h = harness({ target, screen });
    // Candidate 1 converts better, so some generations commit and others end otherwise.
    for (let t = 0; t < 400 && h.state.generation < 6; t++) {
      h.serve(150, (arm) => (arm === 1 ? { ...NEUTRAL, conversion: 0.3 } : NEUTRAL));
      h.tick();
    }
    const kept = h.state.observations;
    const live = kept.filter((o) => o.source === "live");
    expect(h.state.generation).toBeGreaterThanOrEqual(4);
    expect(live.length).toBeGreaterThanOrEqual(3);
    expect(kept.filter((o) => o.source === "screening").length).toBeGreaterThan(live.length);
    for (const o of live) {
      expect(Number.isFinite(o.kpis.conversion?.y)).toBe(true);
      expect(o.kpis.conversion!.se).toBeGreaterThan(0);
      expect(h.state.versions.get(o.arm)?.parent).toBe(o.base);
    }
    expect(observationsOf(h.history, h.state.versions)).toEqual(kept);
    expect(restore({ target, history: h.history, checkpoint: null, now: 0 }).state.observations).toEqual(kept);
  });
});
