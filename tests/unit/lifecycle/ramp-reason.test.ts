import { describe, expect, it } from "vitest";
import { harness, NEUTRAL, type ArmWorld } from "./harness.js";

const failing: ArmWorld = { ...NEUTRAL, error: 0.6 };

describe("the promotion's reason", () => {
  it("names the arms pulled on the way instead of claiming no guardrail breach", () => {
    const h = harness();
    h.send({ kind: "start", now: 0 });
    for (let i = 0; i < 60 && !(h.state.kind === "live" && h.state.experiment.status === "running"); i++) {
      h.serve(400, (arm) => (arm === 2 ? failing : NEUTRAL));
      h.tick();
    }
    const pulled = h.history.filter((e) => e.kind === "arm_exit" && e.exit === "pulled");
    expect(pulled).toHaveLength(1);
    const promotion = h.history.find((e) => e.kind === "transition" && e.from === "canary" && e.to === "running");
    expect(promotion).toMatchObject({ reason: "canary ramp complete: 1 candidate healthy, 1 pulled on the way" });
  });

  it("says no breach when none was pulled", () => {
    const h = harness();
    h.send({ kind: "start", now: 0 });
    for (let i = 0; i < 60 && !(h.state.kind === "live" && h.state.experiment.status === "running"); i++) {
      h.serve(400);
      h.tick();
    }
    expect(h.history.find((e) => e.kind === "transition" && e.to === "running")).toMatchObject({ reason: "canary ramp complete with no guardrail breach" });
  });
});
