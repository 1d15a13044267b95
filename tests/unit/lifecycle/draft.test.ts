import { describe, expect, it } from "vitest";
import { pendingDrafts } from "../../../src/domain/history.js";
import type { Screener } from "../../../src/domain/ports.js";
import { getPath } from "../../../src/domain/values.js";
import { restore } from "../../../src/lifecycle/restore.js";
import type { TargetState } from "../../../src/lifecycle/state.js";
import { harness, NEUTRAL, paths, smallTarget, type ArmWorld } from "./harness.js";

type Live = TargetState & { kind: "live" };
const better: ArmWorld = { ...NEUTRAL, conversion: 0.45 };

/** Screening that passes every candidate, scoring the drafts lowest: they must still go live. */
const passAll: Screener = ({ candidates }) => ({ survivors: candidates.map((version, i) => ({ version, score: i, reason: "", evidence: null })), rejected: [] });

describe("an operator's candidate", () => {
  it("is kept as a draft while an experiment is live, then screened and ramped by the next generation ahead of the search's", () => {
    const h = harness({ screen: passAll });
    h.send({ kind: "start", now: 0 });
    const limit = getPath(h.state.baseline.values, "retry.limit") as number;
    const drafted = h.send({ kind: "draft", now: h.at(), change: { retry: { limit: limit + 1 } }, note: "ops: one more retry" });
    expect(drafted.refused).toBeUndefined();
    const id = h.state.drafts[0] as string;
    expect(h.state.versions.get(id)).toMatchObject({ parent: h.state.baseline.id, mutations: [{ path: "retry.limit", op: "edit", from: limit, to: limit + 1 }] });
    expect(h.history.filter((e) => e.kind === "draft")).toEqual([{ kind: "draft", at: 1, version: id, note: "ops: one more retry" }]);
    expect(pendingDrafts(h.history)).toEqual([id]);
    // g1 goes on untouched; when it ends, g2 takes the draft.
    expect((h.state as Live).experiment.arms).not.toContain(id);
    h.send({ kind: "kill", now: h.at(), cause: "kill_switch", reason: "end g1" });
    h.send({ kind: "resume", now: h.at() });
    const g2 = h.state as Live;
    expect(g2.experiment.id).toBe(`${h.target.name}/g2`);
    expect(g2.experiment.arms[1]).toBe(id);
    expect(g2.drafts).toEqual([]);
    expect(pendingDrafts(h.history)).toEqual([]);
    expect(paths(h.history).get(g2.experiment.id)?.slice(0, 4)).toEqual(["draft", "proposed", "screening", "canary"]);
    // …and it is decided like any candidate.
    for (let i = 0; i < 60 && h.state.kind === "live" && h.state.experiment.id === g2.experiment.id; i++) {
      h.serve(400, (arm) => (arm === 1 ? better : NEUTRAL));
      h.tick();
    }
    expect(h.state.baseline.id).toBe(id);
  });

  it("is refused with the reason when it breaks the schema, is the baseline or is already a draft; nothing changes", () => {
    const h = harness();
    h.send({ kind: "start", now: 0 });
    const before = h.state;
    const entries = h.history.length;
    expect(h.send({ kind: "draft", now: 1, change: { retry: { limit: -5 } }, note: "x" }).refused).toMatchObject({ code: "invalid_candidate", message: expect.stringContaining("retry.limit") });
    expect(h.send({ kind: "draft", now: 1, change: { nope: 1 }, note: "x" }).refused?.code).toBe("invalid_candidate");
    expect(h.send({ kind: "draft", now: 1, change: JSON.parse('{"__proto__": {"polluted": true}}'), note: "x" }).refused?.code).toBe("invalid_candidate");
    expect(h.send({ kind: "draft", now: 1, change: {}, note: "x" }).refused?.code).toBe("already_baseline");
    expect(h.state).toBe(before);
    expect(h.history.length).toBe(entries);
    const limit = getPath(h.state.baseline.values, "retry.limit") as number;
    h.send({ kind: "draft", now: 2, change: { retry: { limit: limit + 1 } }, note: "x" });
    expect(h.send({ kind: "draft", now: 3, change: { retry: { limit: limit + 1 } }, note: "again" }).refused?.code).toBe("already_draft");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("an idle target takes the draft at once; a restart keeps drafts no generation took", () => {
    const rejectAll: Screener = ({ candidates }) => ({ survivors: [], rejected: candidates.map((version) => ({ version, score: -1, reason: "worse", evidence: null })) });
    const h = harness({ screen: rejectAll });
    h.send({ kind: "start", now: 0 });
    expect(h.state.kind).toBe("idle");
    const limit = getPath(h.state.baseline.values, "retry.limit") as number;
    h.send({ kind: "draft", now: 5, change: { retry: { limit: limit + 1 } }, note: "try" });
    // Proposed in generation 2 at once (and rejected by this screening, like any candidate).
    expect(paths(h.history).get(`${h.target.name}/g2`)).toEqual(["draft", "proposed", "screening", "rejected"]);
    const k = harness();
    k.send({ kind: "start", now: 0 });
    k.send({ kind: "draft", now: 1, change: { retry: { limit: limit + 1 } }, note: "wait" });
    const restored = restore({ target: k.target, history: k.history, checkpoint: null, now: 2 });
    expect(restored.state.drafts).toEqual(k.state.drafts);
  });
});

describe("an operator's candidate with a fixed traffic share", () => {
  it("ramps like the others in canary, never above its share, then keeps exactly its share while the bandit moves the rest", () => {
    const h = harness({ screen: passAll, target: smallTarget({ allocation: { ...smallTarget().policy.allocation, burnInUnits: 50, minChange: 0.001 }, maxUnitsPerArm: 100_000, minUnitsPerArm: 50_000 }) });
    // Refused with the reason, nothing kept: a share that leaves the baseline below its floor.
    const floor = h.target.policy.allocation.baselineFloor;
    expect(h.send({ kind: "draft", now: 0, change: { retry: { limit: 5 } }, note: "too much", share: 1 - floor + 0.01 }).refused?.code).toBe("invalid_share");
    expect(h.history.filter((e) => e.kind === "draft")).toEqual([]);
    expect(h.send({ kind: "draft", now: 0, change: { retry: { limit: 5 } }, note: "a tenth", share: 0.1 }).refused).toBeUndefined();
    const entry = h.history.find((e) => e.kind === "draft");
    const id = entry?.kind === "draft" ? entry.version : "";
    expect(entry).toEqual({ kind: "draft", at: 0, version: id, note: "a tenth", share: 0.1 });
    // An idle target takes the draft in the generation it proposes at once.
    const live = h.state as Live;
    const index = live.experiment.arms.indexOf(id);
    expect(index).toBeGreaterThan(0);
    const weightOf = () => h.live?.weights[index] as number;
    let running = 0;
    for (let i = 0; i < 80 && h.state.kind === "live" && running < 5; i++) {
      // The other candidate is far better: a bandit alone would starve the fixed arm.
      h.serve(300, (arm) => (arm === index || arm === 0 ? NEUTRAL : better));
      h.tick();
      if (h.state.kind !== "live") break;
      if (h.state.experiment.status === "canary") expect(weightOf()).toBeLessThanOrEqual(0.1 + 1e-9);
      else {
        running++;
        expect(Math.abs(weightOf() - 0.1)).toBeLessThan(2 / 1000);
      }
    }
    expect(running).toBe(5);
    // A restart keeps the share (from the history).
    expect([...restore({ target: h.target, history: h.history, checkpoint: null, now: 1 }).state.shares]).toEqual([[id, 0.1]]);
  });
});
