import { describe, expect, it } from "vitest";
import { pause, unpause } from "../../../src/lifecycle/pause.js";
import { restore } from "../../../src/lifecycle/restore.js";
import { statusOf, type TargetState } from "../../../src/lifecycle/state.js";
import { harness, NEUTRAL, paths, type ArmWorld } from "./harness.js";

type Harness = ReturnType<typeof harness>;
type Live = TargetState & { kind: "live" };
const better: ArmWorld = { ...NEUTRAL, conversion: 0.45 };

function running(): Harness {
  const h = harness();
  h.send({ kind: "start", now: 0 });
  for (let i = 0; i < 60 && !(h.state.kind === "live" && h.state.experiment.status === "running"); i++) {
    h.serve(300);
    h.tick();
  }
  expect(h.state.kind === "live" && h.state.experiment.status).toBe("running");
  return h;
}
const live = (h: Harness): Live => {
  expect(h.state.kind).toBe("live");
  return h.state as Live;
};

describe("an operator's pause keeps the experiment", () => {
  it("pause → no traffic, no decision, the same units and statistics; resume → the same experiment goes on", () => {
    const h = running();
    const id = live(h).experiment.id;
    const before = h.live?.statistics();
    const paused = h.send({ kind: "pause", now: h.at(), reason: "incident review" });
    expect(paused.refused).toBeUndefined();
    expect(statusOf(live(h).experiment)).toBe("paused");
    expect(live(h).experiment.paused).toEqual(["operator"]);
    expect(h.serving).toBe(false);
    expect(paused.effects.map((e) => e.kind)).toEqual(["pause_experiment", "append", "log", "count", "checkpoint"]);
    // Far past the budget in ticks, with traffic offered each time: nothing is served, nothing decided.
    for (let i = 0; i < 30; i++) {
      h.serve(500, (arm) => (arm === 0 ? NEUTRAL : better));
      h.tick();
    }
    expect(live(h).experiment.id).toBe(id);
    expect(statusOf(live(h).experiment)).toBe("paused");
    expect(h.live?.statistics()).toEqual(before);

    h.send({ kind: "resume", now: h.at() });
    expect(live(h).experiment).toMatchObject({ id, status: "running", paused: [] });
    expect(h.serving).toBe(true);
    h.serve(200);
    expect(h.live?.statistics().units.reduce((a, b) => a + b, 0)).toBeGreaterThan((before?.units ?? []).reduce((a, b) => a + b, 0));
    expect(paths(h.history).get(id)?.slice(-3)).toEqual(["running", "paused", "running"]);
  });

  it("a pause in canary comes back to canary, at the same ramp step", () => {
    const h = harness();
    h.send({ kind: "start", now: 0 });
    const step = live(h).experiment.canaryStep;
    h.send({ kind: "pause", now: h.at(), reason: "x" });
    h.send({ kind: "resume", now: h.at() });
    expect(live(h).experiment).toMatchObject({ status: "canary", canaryStep: step, paused: [] });
  });

  it("a kill while paused ends it (paused → killed); resume of the held target starts the next generation", () => {
    const h = running();
    const id = live(h).experiment.id;
    h.send({ kind: "pause", now: h.at(), reason: "x" });
    h.send({ kind: "kill", now: h.at(), cause: "kill_switch", reason: "incident" });
    expect(h.state.kind).toBe("held");
    expect(paths(h.history).get(id)?.slice(-2)).toEqual(["paused", "killed"]);
    h.send({ kind: "resume", now: h.at() });
    expect(live(h).experiment.id).not.toBe(id);
  });

  it("pause without a live experiment is refused with a reason, and changes nothing", () => {
    const h = harness();
    h.send({ kind: "kill", now: 0, cause: "kill_switch", reason: "held" });
    const before = h.state;
    const result = h.send({ kind: "pause", now: 1, reason: "x" });
    expect(result.refused?.code).toBe("not_live");
    expect(result.state).toBe(before);
    expect(result.effects).toEqual([]);
  });

  it("an operator's pause and the schedule's are separate: both must clear before the arms are served", () => {
    const h = running();
    const state = live(h);
    const a = pause(state, "operator", "operator", 1, h.ctx);
    const b = pause(a.state, "schedule", "outside its windows", 2, h.ctx);
    expect(b.state.experiment.paused).toEqual(["operator", "schedule"]);
    expect(b.effects.map((e) => e.kind)).toEqual(["log", "checkpoint"]); // already paused: no second transition
    const c = unpause(b.state, "schedule", "inside a window", 3, h.ctx);
    expect(statusOf(c.state.experiment)).toBe("paused");
    expect(c.effects.some((e) => e.kind === "unpause_experiment")).toBe(false);
    const d = unpause(c.state, "operator", "operator", 4, h.ctx);
    expect(statusOf(d.state.experiment)).toBe("running");
    expect(d.effects.map((e) => e.kind)).toEqual(["append", "unpause_experiment", "log", "count", "checkpoint"]);
    // Clearing a cause that does not hold it, or adding one that does, changes nothing.
    expect(unpause(d.state, "operator", "again", 5, h.ctx).state).toBe(d.state);
    expect(pause(a.state, "operator", "again", 5, h.ctx).state).toBe(a.state);
  });

  it("a paused experiment is restored paused, with its causes, from its history and checkpoint", () => {
    const h = running();
    const id = live(h).experiment.id;
    h.send({ kind: "pause", now: h.at(), reason: "x" });
    const checkpoint = JSON.stringify({ ...h.live?.checkpoint(live(h).experiment), ticks: live(h).rebalances });
    const restored = restore({ target: h.target, history: h.history, checkpoint, now: h.at() });
    expect(restored.state.kind).toBe("live");
    const experiment = (restored.state as Live).experiment;
    expect(experiment).toMatchObject({ id, status: "running", paused: ["operator"] });
    expect(restored.resume?.checkpoint.paused).toEqual(["operator"]);
    // A crash between the history's pause and its checkpoint: still paused, by the operator.
    const older = JSON.stringify({ ...JSON.parse(checkpoint), paused: undefined });
    expect((restore({ target: h.target, history: h.history, checkpoint: older, now: h.at() }).state as Live).experiment.paused).toEqual(["operator"]);
  });
});
