import { describe, expect, it } from "vitest";
import { canTransition, TRANSITIONS, type ExperimentStatus } from "../../../src/domain/experiment.js";
import type { Screener } from "../../../src/domain/ports.js";
import { finish, promote, type Ending } from "../../../src/lifecycle/finish.js";
import type { TargetState } from "../../../src/lifecycle/state.js";
import { harness, NEUTRAL, paths, smallTarget, type ArmWorld } from "./harness.js";

const rejectAll: Screener = ({ candidates }) => ({ survivors: [], rejected: candidates.map((version) => ({ version, score: -1, reason: "worse in simulation", evidence: null })) });
const better: ArmWorld = { ...NEUTRAL, conversion: 0.45 };
const worse: ArmWorld = { ...NEUTRAL, conversion: 0.02 };
const failing: ArmWorld = { ...NEUTRAL, error: 0.6 };

type Harness = ReturnType<typeof harness>;

/** Ticks with `n` units per tick until `done` holds (at most 60 ticks). */
function until(h: Harness, done: () => boolean, world?: (arm: number) => ArmWorld, n = 400): void {
  for (let i = 0; i < 60 && !done(); i++) {
    h.serve(n, world);
    h.tick();
  }
  expect(done()).toBe(true);
}
const status = (h: Harness): string => (h.state.kind === "live" ? h.state.experiment.status : h.state.kind);
const first = (h: Harness): string[] => paths(h.history).get(`${h.target.name}/g1`) ?? [];

describe("the lifecycle walks every transition of the table", () => {
  it("proposed → screening → canary", () => {
    const h = harness();
    h.send({ kind: "start", now: 0 });
    expect(first(h)).toEqual(["proposed", "screening", "canary"]);
    expect(h.state.kind).toBe("live");
    expect(h.live?.arms.length).toBe(3);
  });

  it("proposed → screening → rejected, and the target stays idle to try again at the next tick", () => {
    const h = harness({ screen: rejectAll });
    h.send({ kind: "start", now: 0 });
    expect(first(h)).toEqual(["proposed", "screening", "rejected"]);
    expect(h.state.kind).toBe("idle");
    h.tick();
    expect(paths(h.history).get("checkout/g2")).toEqual(["proposed", "screening", "rejected"]);
  });

  it("canary → running once every ramp step had its units", () => {
    const h = harness();
    h.send({ kind: "start", now: 0 });
    until(h, () => status(h) === "running");
    expect(first(h)).toEqual(["proposed", "screening", "canary", "running"]);
    const ramps = h.effects.filter((e) => e.kind === "log" && e.message === "canary ramp");
    expect(ramps.length).toBe(1); // two steps: one ramp, then the promotion
  });

  it("canary → rolled_back when every candidate trips its circuit breaker", () => {
    const h = harness();
    h.send({ kind: "start", now: 0 });
    until(h, () => first(h).length > 3, (arm) => (arm === 0 ? NEUTRAL : failing), 300);
    expect(first(h)).toEqual(["proposed", "screening", "canary", "rolled_back"]);
  });

  it("canary → killed, and the kill switch then holds the target", () => {
    const h = harness();
    h.send({ kind: "start", now: 0 });
    h.send({ kind: "kill", now: 1, cause: "kill_switch", reason: "incident" });
    expect(first(h)).toEqual(["proposed", "screening", "canary", "killed"]);
    expect(h.state).toMatchObject({ kind: "held", reason: "incident" });
    expect(h.live).toBeNull();
    expect(h.effects).toContainEqual({ kind: "count", decision: "killed", cause: "kill_switch" });
  });

  it("running → committed: the winner becomes the baseline, once", () => {
    const h = harness();
    h.send({ kind: "start", now: 0 });
    const before = h.state.baseline.id;
    until(h, () => first(h).length > 4, (arm) => (arm === 0 ? NEUTRAL : better));
    expect(first(h)).toEqual(["proposed", "screening", "canary", "running", "committed"]);
    const commits = h.history.filter((e) => e.kind === "baseline" && e.cause === "commit");
    expect(commits).toHaveLength(1);
    expect(h.state.baseline.id).not.toBe(before);
    expect(h.state.baseline.id).toBe(commits[0]?.kind === "baseline" ? commits[0].version : "");
  });

  it("running → rolled_back when every candidate is significantly worse", () => {
    const h = harness();
    h.send({ kind: "start", now: 0 });
    until(h, () => status(h) === "running");
    until(h, () => first(h).length > 4, (arm) => (arm === 0 ? NEUTRAL : worse));
    expect(first(h)).toEqual(["proposed", "screening", "canary", "running", "rolled_back"]);
  });

  it("running → inconclusive when the budget is spent without a winner", () => {
    const h = harness();
    h.send({ kind: "start", now: 0 });
    until(h, () => first(h).length > 4);
    expect(first(h)).toEqual(["proposed", "screening", "canary", "running", "inconclusive"]);
  });

  it("running → killed", () => {
    const h = harness();
    h.send({ kind: "start", now: 0 });
    until(h, () => status(h) === "running");
    h.send({ kind: "kill", now: h.at(), cause: "target_file", reason: "target file changed" });
    expect(first(h)).toEqual(["proposed", "screening", "canary", "running", "killed"]);
    expect(h.effects).toContainEqual({ kind: "count", decision: "killed", cause: "target_file" });
  });

  it("every allowed transition of the table was walked above (the table has no unreachable entry)", () => {
    const walked = new Set<string>();
    const record = (h: Harness) => {
      for (const path of paths(h.history).values()) for (let i = 1; i < path.length; i++) walked.add(`${path[i - 1]}→${path[i]}`);
    };
    const a = harness();
    a.send({ kind: "start", now: 0 });
    until(a, () => first(a).length > 4, (arm) => (arm === 0 ? NEUTRAL : better));
    record(a);
    const b = harness({ screen: rejectAll });
    b.send({ kind: "start", now: 0 });
    record(b);
    const c = harness();
    c.send({ kind: "start", now: 0 });
    until(c, () => first(c).length > 3, (arm) => (arm === 0 ? NEUTRAL : failing), 300);
    c.tick(); // g2 starts from the kept baseline…
    c.send({ kind: "kill", now: c.at(), cause: "kill_switch", reason: "x" }); // …and is killed in canary
    record(c);
    for (const world of [worse, NEUTRAL]) {
      const d = harness();
      d.send({ kind: "start", now: 0 });
      until(d, () => status(d) === "running");
      until(d, () => first(d).length > 4, (arm) => (arm === 0 ? NEUTRAL : world));
      record(d);
    }
    const e = harness();
    e.send({ kind: "start", now: 0 });
    until(e, () => status(e) === "running");
    e.send({ kind: "kill", now: e.at(), cause: "kill_switch", reason: "x" });
    record(e);
    // Pauses in canary and in running, each resumed; a kill while paused.
    const f = harness();
    f.send({ kind: "start", now: 0 });
    f.send({ kind: "pause", now: f.at(), reason: "x" });
    f.send({ kind: "resume", now: f.at() });
    until(f, () => status(f) === "running");
    f.send({ kind: "pause", now: f.at(), reason: "x" });
    f.send({ kind: "resume", now: f.at() });
    f.send({ kind: "pause", now: f.at(), reason: "x" });
    f.send({ kind: "kill", now: f.at(), cause: "kill_switch", reason: "x" });
    record(f);
    // An operator's draft begins a generation; a schedule's maximum duration ends a canary.
    const g = harness({ target: smallTarget({ schedule: { timeZone: "UTC", windows: [], maxDurationMs: 1 } }) });
    g.send({ kind: "draft", now: 0, change: { retry: { limit: 3 } }, note: "x" });
    g.send({ kind: "start", now: 0 });
    g.tick();
    record(g);
    const table = Object.entries(TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => `${from}→${to}`));
    expect([...walked].sort()).toEqual(table.sort());
  });
});

describe("the lifecycle refuses what the table forbids", () => {
  const endings: Ending[] = ["committed", "rolled_back", "inconclusive", "killed"];
  const liveIn = (experimentStatus: "canary" | "running"): TargetState & { kind: "live" } => {
    const h = harness();
    h.send({ kind: "start", now: 0 });
    if (experimentStatus === "running") until(h, () => status(h) === "running");
    return h.state as TargetState & { kind: "live" };
  };

  for (const from of ["canary", "running"] as const) {
    for (const to of endings.filter((t) => !canTransition(from, t))) {
      it(`${from} → ${to} is refused: nothing changes, nothing is written, the refusal is logged`, () => {
        const h = harness();
        const state = liveIn(from);
        const result = finish(state, to, "forced", null, 1, h.ctx, { after: { kind: "next" } });
        expect(result.state).toBe(state);
        expect(result.effects).toEqual([{ kind: "log", level: "error", fields: { experiment: state.experiment.id, from, to }, message: "refused an illegal transition" }]);
      });
    }
  }

  it("running → running (a second promotion) is refused", () => {
    const h = harness();
    const state = liveIn("running");
    const result = promote(state, "again", null, 1, h.ctx);
    expect(result.state).toBe(state);
    expect(result.effects.map((e) => e.kind)).toEqual(["log"]);
  });

  it("terminal statuses have no way out", () => {
    for (const terminal of ["rejected", "committed", "rolled_back", "inconclusive", "killed"] as ExperimentStatus[])
      for (const to of Object.keys(TRANSITIONS) as ExperimentStatus[]) expect(canTransition(terminal, to)).toBe(false);
  });

  it("inputs that do not apply to the target's state change nothing", () => {
    const idleRejected = harness({ screen: rejectAll });
    idleRejected.send({ kind: "start", now: 0 });
    const live = harness();
    live.send({ kind: "start", now: 0 });
    const held = harness();
    held.send({ kind: "kill", now: 0, cause: "kill_switch", reason: "before start" });
    const done = harness({ target: smallTarget({ maxGenerations: 1 }), screen: rejectAll });
    done.send({ kind: "start", now: 0 });
    done.tick();
    expect(done.state.kind).toBe("done");

    const cases: [Harness, Parameters<Harness["send"]>[0]][] = [
      [live, { kind: "start", now: 5 }],
      [live, { kind: "propose", now: 5, generation: 2 }],
      [live, { kind: "resume", now: 5 }],
      [idleRejected, { kind: "propose", now: 5, generation: 1 }], // stale: generation 1 is over
      [idleRejected, { kind: "propose", now: 5, generation: 3 }], // not the next one
      [idleRejected, { kind: "resume", now: 5 }],
      [held, { kind: "start", now: 5 }],
      [held, { kind: "tick", now: 5, snapshot: null }],
      [held, { kind: "propose", now: 5, generation: 1 }],
      [done, { kind: "start", now: 5 }],
      [done, { kind: "tick", now: 5, snapshot: null }],
      [done, { kind: "propose", now: 5, generation: 2 }],
      [done, { kind: "resume", now: 5 }],
      [live, { kind: "rollback", now: 5, version: "v-unknown", reason: "x" }],
      [live, { kind: "rollback", now: 5, version: live.state.baseline.id, reason: "x" }],
    ];
    for (const [h, input] of cases) {
      const before = h.state;
      const result = h.send(input);
      expect(result.state, `${before.kind} + ${input.kind}`).toBe(before);
      expect(result.effects, `${before.kind} + ${input.kind}`).toEqual([]);
    }
    expect(live.send({ kind: "rollback", now: 5, version: "v-unknown", reason: "x" }).refused?.code).toBe("unknown_version");
    expect(live.send({ kind: "rollback", now: 5, version: live.state.baseline.id, reason: "x" }).refused?.code).toBe("already_baseline");
  });

  it("a held target resumes into its next generation; a rollback while held keeps it held", () => {
    const h = harness();
    h.send({ kind: "start", now: 0 });
    const candidate = h.live?.arms[1]?.id as string;
    h.send({ kind: "kill", now: 1, cause: "kill_switch", reason: "incident" });
    h.send({ kind: "rollback", now: 2, version: candidate, reason: "operator" });
    expect(h.state).toMatchObject({ kind: "held", baseline: { id: candidate } });
    h.send({ kind: "resume", now: 3 });
    expect(h.state.kind).toBe("live");
    expect(paths(h.history).get("checkout/g2")?.slice(0, 3)).toEqual(["proposed", "screening", "canary"]);
    expect(h.live?.arms[0]?.id).toBe(candidate);
  });
});
