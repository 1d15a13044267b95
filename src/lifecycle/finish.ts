import { afterExperiment, liveCandidates } from "../mutation/step-sizes.js";
import { liveObservations, withObservations } from "../search/observations.js";
import { driftAfterCommit } from "../decide/drift.js";
import { canTransition, type ExperimentStatus } from "../domain/experiment.js";
import type { HistoryEntry } from "../domain/history.js";
import type { Version, VersionId } from "../domain/version.js";
import { segmentMoves, uniformCommit, type SegmentCommit } from "./segment-commits.js";
import { log, type Effect } from "./effects.js";
import { transitionEntry } from "./generation.js";
import type { KillCause, StepContext } from "./inputs.js";
import { updateRecord } from "./records.js";
import { known, statusOf, type TargetState } from "./state.js";

export type Ending = "committed" | "rolled_back" | "inconclusive" | "killed";

/** What follows an experiment's end: the next generation, or nothing (held, or the caller moves the baseline first). */
export type After = { readonly kind: "next" } | { readonly kind: "hold"; readonly reason: string } | { readonly kind: "none" };

/**
 * Ends the live experiment. Traffic leaves it at once (the baseline is durable); the transition
 * and, for a commit, the baseline move are one history batch, and the new baseline is served
 * once that batch is durable. A transition the table forbids is refused and logged.
 */
export function finish(
  state: TargetState & { kind: "live" },
  to: Ending,
  reason: string,
  evidence: unknown,
  now: number,
  ctx: StepContext,
  options: { readonly winner?: VersionId; readonly segments?: readonly SegmentCommit[]; readonly cause?: KillCause; readonly after: After },
): { state: TargetState; effects: Effect[] } {
  const { experiment } = state;
  const from = statusOf(experiment);
  const target = ctx.target.name;
  if (!canTransition(from, to)) return { state, effects: [log("error", { experiment: experiment.id, from, to }, "refused an illegal transition")] };
  // Segment commits that give every segment the same version move the target's baseline.
  const uniform = options.segments ? uniformCommit(options.segments, ctx.target.policy) : null;
  const winner = options.winner ?? uniform ?? undefined;
  const committed = winner ? state.versions.get(winner) : undefined;
  const moves = !committed && options.segments?.length ? segmentMoves(state, options.segments, experiment.id, evidence, now) : null;
  const entries: HistoryEntry[] = [transitionEntry(experiment.id, experiment.generation, from, to, reason, now, undefined, evidence)];
  if (committed) entries.push({ kind: "baseline", at: now, version: committed.id, previous: state.baseline.id, cause: "commit", reason, experiment: experiment.id, evidence });
  if (moves) entries.push(...moves.entries);
  const last = committed?.id ?? options.segments?.at(-1)?.version ?? null;
  const records = updateRecord(state.records, experiment.id, { status: to, reason, endedAt: now, committed: last, ...(moves ? { segmentCommits: options.segments } : {}) });
  // The winner's drift from the anchor: its parent baseline's, chained with this commit's effects.
  const drift = committed ? new Map(state.drift).set(committed.id, driftAfterCommit(state.drift, state.baseline.id, committed.id, evidence)) : (moves?.drift ?? state.drift);
  // Its live candidates' nudges adapt their settings' step sizes (a kill says nothing of them).
  const steps = to === "killed" ? state.steps : afterExperiment(state.steps, liveCandidates(state.versions, experiment.arms), last);
  // What its arms showed, against the baseline arm they ran beside (before a commit moves it).
  const observations = to === "killed" ? state.observations : withObservations(state.observations, liveObservations(evidence, state.baseline.id));
  // A commit of the whole gives every segment the target's new baseline.
  const segmentBaselines = committed ? new Map<string, Version>() : (moves?.segmentBaselines ?? state.segmentBaselines);
  const base = { ...known(state), records, drift, steps, observations, segmentBaselines, ...(committed ? { baseline: committed } : {}) };
  const effects: Effect[] = [{ kind: "end_experiment", id: experiment.id }, { kind: "append", entries }];
  if (committed || moves) effects.push({ kind: "serve_baseline", version: base.baseline, ...(segmentBaselines.size > 0 ? { segments: segmentBaselines } : {}) });
  effects.push(log("info", { target, experiment: experiment.id, from, to, reason, version: committed?.id, ...(moves ? { segments: Object.fromEntries([...segmentBaselines].map(([s, v]) => [s, v.id])) } : {}) }, `experiment ${to}`));
  if (to === "killed") effects.push({ kind: "count", decision: "killed", cause: options.cause ?? "kill_switch" });
  const after = options.after;
  if (after.kind === "hold") return { state: { ...base, kind: "held", reason: after.reason }, effects };
  if (after.kind === "next") effects.push({ kind: "propose", generation: base.generation + 1 });
  return { state: { ...base, kind: "idle" }, effects };
}

/** canary → running (a status change in the table; ramps within canary are not transitions). */
export function promote(state: TargetState & { kind: "live" }, reason: string, evidence: unknown, now: number, ctx: StepContext): { state: TargetState & { kind: "live" }; effects: Effect[] } {
  const { experiment } = state;
  const to: ExperimentStatus = "running";
  if (!canTransition(experiment.status, to)) return { state, effects: [log("error", { experiment: experiment.id, from: experiment.status, to }, "refused an illegal transition")] };
  return {
    state: { ...state, experiment: { ...experiment, status: "running" }, records: updateRecord(state.records, experiment.id, { status: to }) },
    effects: [
      { kind: "append", entries: [transitionEntry(experiment.id, experiment.generation, experiment.status, to, reason, now, undefined, evidence)] },
      log("info", { target: ctx.target.name, experiment: experiment.id, from: experiment.status, to, reason }, "experiment transition"),
    ],
  };
}
