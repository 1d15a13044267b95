import { describe, expect, it } from "vitest";
import { segmentBaselinesOf, type HistoryEntry } from "../../../src/domain/history.js";
import type { Target } from "../../../src/domain/target.js";
import { restore } from "../../../src/lifecycle/restore.js";
import type { TargetState } from "../../../src/lifecycle/state.js";
import { seededRng } from "../../../src/random/seeded-rng.js";
import { ExperimentRouter } from "../../../src/stream/router.js";
import { compileSegments } from "../../../src/targeting/segments.js";
import { harness, smallTarget } from "./harness.js";

const segments = compileSegments([{ name: "mobile", rule: { "==": [{ var: "device" }, "mobile"] } }], "policy.segments").segments ?? [];

function target(): Target {
  return smallTarget({ segments, segmentBaselines: true, liveCandidates: 1, minUnitsPerArm: 400, maxUnitsPerArm: 20_000, canary: { steps: [0.5], minUnitsPerStep: 60 } });
}

/**
 * Runs generation 1 with the one candidate converting at 50 % on mobile units and 12 % on the
 * others, against 20 % for the baseline everywhere, until it ends: better on mobile, worse
 * elsewhere (and better on the whole).
 */
function runSplitWinner() {
  const h = harness({ target: target() });
  h.send({ kind: "start", now: 0 });
  const rng = seededRng("segment-world");
  let n = 0;
  for (let tick = 0; tick < 80 && h.state.kind === "live" && h.state.experiment.generation === 1; tick++) {
    const live = h.live;
    if (!live) break;
    for (let i = 0; i < 200; i++) {
      const unit = `u${n++}`;
      const device = n % 2 === 0 ? "mobile" : "desktop";
      const arm = live.assign(unit);
      const index = live.indexOf(arm.id) ?? 0;
      const p = index === 0 ? 0.2 : device === "mobile" ? 0.5 : 0.12;
      live.recordExposure(unit, arm.id, { device }, 0);
      live.recordOutcome(unit, arm.id, { conversion: rng.next() < p ? 1 : 0, error: 0, latency_ms: 100 }, 0);
    }
    h.tick();
  }
  return h;
}

const baselineMoves = (history: readonly HistoryEntry[]) => history.filter((e): e is HistoryEntry & { kind: "baseline" } => e.kind === "baseline");

describe("per-segment baselines (policy.segmentBaselines)", () => {
  it("commit a segment-only winner for that segment; the others keep their baseline", () => {
    const h = runSplitWinner();
    const canary = h.history.find((e) => e.kind === "transition" && e.to === "canary");
    const candidate = canary?.kind === "transition" ? canary.arms?.[1] : undefined;
    const initial = baselineMoves(h.history)[0]?.version;
    expect(candidate).toBeDefined();
    // The experiment ended committed, with one baseline move: mobile's.
    const ended = h.history.find((e) => e.kind === "transition" && e.experiment === "checkout/g1" && e.to === "committed");
    expect(ended).toBeDefined();
    const moves = baselineMoves(h.history).filter((e) => e.cause === "commit");
    expect(moves.map((e) => [e.segment, e.version, e.previous])).toEqual([["mobile", candidate, initial]]);
    // Mobile took it on its own reading, or as the whole's winner its reading leans to; "other" read it worse.
    expect(moves[0]?.reason).toMatch(/^(segment mobile: conversion \+|the whole's winner, not worse in segment mobile: )/);
    // Its evidence is the segment's reading (what the drift from the anchor chains).
    expect((moves[0]?.evidence as { segment?: string }).segment).toBe("mobile");
    expect(h.state.baseline.id).toBe(initial);
    expect([...h.state.segmentBaselines].map(([s, v]) => [s, v.id])).toEqual([["mobile", candidate]]);
    // What is served: the effect carries the segment's own baseline; a router fed it serves mobile units the winner.
    const served = h.effects.filter((e) => e.kind === "serve_baseline").at(-1);
    expect(served?.kind === "serve_baseline" && served.version.id).toBe(initial);
    const router = new ExperimentRouter();
    if (served?.kind === "serve_baseline") router.setBaseline("checkout", served.version, { rules: segments, versions: served.segments ?? new Map() });
    expect(router.evaluate("checkout", "someone", { device: "mobile" }).ok && router.evaluate("checkout", "someone", { device: "mobile" })).toMatchObject({ value: { version: { id: candidate } } });
    expect(router.evaluate("checkout", "someone", { device: "desktop" })).toMatchObject({ value: { version: { id: initial } } });
    expect(router.evaluate("checkout", "someone")).toMatchObject({ value: { version: { id: initial } } });
    // A replay of the history gives the same segment baselines.
    expect([...segmentBaselinesOf(h.history)]).toEqual([["mobile", candidate]]);
  });

  it("the next generation counts mobile units served mobile's baseline in its baseline arm, and a restart keeps serving it", () => {
    const h = runSplitWinner();
    const mobile = h.state.segmentBaselines.get("mobile");
    expect(mobile).toBeDefined();
    expect(h.state.kind).toBe("live");
    const plan = h.effects.filter((e) => e.kind === "start_experiment").at(-1);
    expect(plan?.kind === "start_experiment" && plan.plan.aliases).toEqual([mobile?.id]);
    // Events naming mobile's baseline (what a mobile unit of the baseline arm is served) count for arm 0.
    const live = h.live;
    const exposed = live?.recordExposure("m1", mobile?.id, { device: "mobile" }, 0);
    expect(exposed).toEqual({ ok: true, value: 0 });
    expect(live?.recordOutcome("m1", mobile?.id, { conversion: 1 }, 0)).toEqual({ ok: true, value: 0 });
    expect(live?.indexOf(live.arms[1]?.id as string)).toBe(1);
    expect(live?.recordExposure("m2", "f".repeat(64), {}, 0).ok).toBe(false);
    // A restart from the history serves the same segment baselines.
    const restored = restore({ target: h.target, history: h.history, checkpoint: null, now: 1 });
    expect([...restored.state.segmentBaselines].map(([s, v]) => [s, v.id])).toEqual([["mobile", mobile?.id]]);
    const serve = restored.effects.find((e) => e.kind === "serve_baseline");
    expect(serve?.kind === "serve_baseline" && [...(serve.segments ?? new Map()).keys()]).toEqual(["mobile"]);
  });

  it("rollback works per segment, and a rollback of the whole gives every segment the target's baseline", () => {
    const h = runSplitWinner();
    const initial = h.state.baseline.id;
    const mobile = h.state.segmentBaselines.get("mobile")?.id as string;
    // Refusals name what is wrong and change nothing.
    const before = h.history.length;
    expect(h.send({ kind: "rollback", now: h.at(), version: initial, reason: "x", segment: "tablet" }).refused?.code).toBe("unknown_segment");
    expect(h.send({ kind: "rollback", now: h.at(), version: mobile, reason: "x", segment: "mobile" }).refused?.code).toBe("already_baseline");
    expect(h.history.length).toBe(before);
    // "other" takes mobile's winner by an operator's rollback of that segment alone.
    expect(h.send({ kind: "rollback", now: h.at(), version: mobile, reason: "try it on the rest", segment: "other" }).refused).toBeUndefined();
    expect(stateOf(h.state)).toEqual({ baseline: initial, own: [["mobile", mobile], ["other", mobile]] });
    expect(baselineMoves(h.history).at(-1)).toMatchObject({ cause: "rollback", segment: "other", version: mobile, previous: initial });
    // Mobile back to the target's baseline: it no longer serves its own.
    h.send({ kind: "rollback", now: h.at(), version: initial, reason: "back", segment: "mobile" });
    expect(stateOf(h.state)).toEqual({ baseline: initial, own: [["other", mobile]] });
    // The whole target: every segment serves the chosen version.
    h.send({ kind: "rollback", now: h.at(), version: mobile, reason: "all of it" });
    expect(stateOf(h.state)).toEqual({ baseline: mobile, own: [] });
    expect([...segmentBaselinesOf(h.history)]).toEqual([]);
    expect(stateOf(restore({ target: h.target, history: h.history, checkpoint: null, now: h.at() }).state)).toEqual({ baseline: mobile, own: [] });
  });

  it("without policy.segmentBaselines the same world commits for the whole or not at all", () => {
    const h = harness({ target: { ...target(), policy: { ...target().policy, segmentBaselines: false } } });
    h.send({ kind: "start", now: 0 });
    expect(h.state.segmentBaselines.size).toBe(0);
    const refused = h.send({ kind: "rollback", now: h.at(), version: h.state.baseline.id, reason: "x", segment: "mobile" }).refused;
    expect(refused?.code).toBe("no_segment_baselines");
  });
});

function stateOf(state: TargetState): { baseline: string; own: [string, string][] } {
  return { baseline: state.baseline.id, own: [...state.segmentBaselines].map(([s, v]) => [s, v.id] as [string, string]).sort() };
}
