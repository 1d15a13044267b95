import { scalesOf } from "../mutation/step-sizes.js";
import { observationsOf } from "../search/observations.js";
import { driftAfterCommit, NO_DRIFT, type Drift } from "../decide/drift.js";
import { versionIdOf } from "../config/canonical.js";
import { validateValues } from "../config/schema.js";
import { isLive, type ExperimentStatus, type LiveStatus, type PauseCause } from "../domain/experiment.js";
import { currentBaseline, draftSharesOf, lastGeneration, pendingDrafts, segmentBaselinesOf, versionsOf, type HistoryEntry } from "../domain/history.js";
import type { Target } from "../domain/target.js";
import type { Version, VersionId } from "../domain/version.js";
import type { ExperimentCheckpoint } from "../stream/live-experiment.js";
import { log, type Effect } from "./effects.js";
import { transitionEntry } from "./generation.js";
import { newRecord, type GenerationRecord } from "./records.js";
import { driftKey, type TargetState } from "./state.js";
import { OTHER_SEGMENT } from "../targeting/segments.js";

/** A checkpoint as the runtime writes it: the experiment's, and the allocation count that seeds draws. */
export type RuntimeCheckpoint = ExperimentCheckpoint & { readonly ticks?: number };

export interface Restored {
  readonly state: TargetState;
  /** History to write (the file's baseline on a first run; an experiment closed after a crash) and what to serve. */
  readonly effects: readonly Effect[];
  /** The live experiment to pick up, with the versions of its arms: its evidence is the runtime's to rebuild. */
  readonly resume: { readonly checkpoint: RuntimeCheckpoint; readonly arms: readonly Version[]; readonly aliases: readonly VersionId[] } | null;
}

/** The last experiment a history started, and the state its last transition left it in. */
function lastExperiment(history: readonly HistoryEntry[]): { experiment: string; generation: number; status: ExperimentStatus; from: ExperimentStatus } | null {
  let last: { experiment: string; generation: number; status: ExperimentStatus; from: ExperimentStatus } | null = null;
  for (const entry of history) if (entry.kind === "transition" && (last === null || entry.generation >= last.generation)) last = { experiment: entry.experiment, generation: entry.generation, status: entry.to, from: entry.from };
  return last;
}

/** A paused experiment's status to go back to: the live status its pause left. */
function liveStatusOf(last: { status: ExperimentStatus; from: ExperimentStatus }): LiveStatus | null {
  if (isLive(last.status)) return last.status;
  return last.status === "paused" && isLive(last.from) ? last.from : null;
}

/**
 * A target's state from its history and the live experiment's checkpoint: the baseline (the
 * stored one while it fits the file's schema, else the file's, recorded), every version, the
 * generation count, and the experiment that was live at the last stop — resumed when the
 * checkpoint matches the history (same experiment, every arm known, the baseline first), else
 * closed as killed with the reason, so no experiment stays open forever.
 */
export function restore(input: { readonly target: Target; readonly history: readonly HistoryEntry[]; readonly checkpoint: string | null; readonly now: number }): Restored {
  const { target, history, now } = input;
  const versions = versionsOf(history);
  const effects: Effect[] = [];
  const storedId = currentBaseline(history);
  const stored = storedId ? versions.get(storedId) : undefined;
  let baseline: Version;
  if (stored && validateValues(target.schema, target.functions, stored.values).length === 0) baseline = stored;
  else {
    // First run, or the stored baseline no longer fits the target file's schema.
    baseline = { id: versionIdOf(target.baseline), target: target.name, values: target.baseline, parent: null, mutations: [], seed: null, generation: 0, createdAt: now };
    versions.set(baseline.id, baseline);
    const cause = stored ? "reload" : "initial";
    const reason = stored ? "stored baseline does not fit the target file's schema; using the file's baseline" : "baseline loaded from the target file";
    effects.push({ kind: "append", entries: [{ kind: "version", at: now, version: baseline }, { kind: "baseline", at: now, version: baseline.id, previous: storedId, cause, reason }] });
  }
  const segmentBaselines = baseline === stored ? segmentsServing(target, history, versions, effects) : new Map<string, Version>();
  effects.push({ kind: "serve_baseline", version: baseline, ...(segmentBaselines.size > 0 ? { segments: segmentBaselines } : {}) });
  const generation = lastGeneration(history);
  const base = { baseline, versions, generation, rebalances: 0, records: [] as GenerationRecord[], drift: driftOf(history, baseline.id), steps: scalesOf(history, versions), observations: observationsOf(history, versions), drafts: pendingDrafts(history), segmentBaselines, shares: draftSharesOf(history) };
  const aliases = [...segmentBaselines.values()].map((v) => v.id);

  const last = lastExperiment(history);
  const status = last ? liveStatusOf(last) : null;
  if (!last || status === null) return { state: { ...base, kind: "idle" }, effects: [...effects, restoredLog(target, baseline, generation, null)], resume: null };
  const abandoned = (reason: string): Restored => ({
    state: { ...base, kind: "idle" },
    // canary, running and paused may all end "killed"; the reason says it was the restart.
    effects: [...effects, { kind: "append", entries: [transitionEntry(last.experiment, last.generation, last.status, "killed", `not resumed: ${reason}`, now)] }, log("warn", { target: target.name, experiment: last.experiment, reason }, "experiment not resumed"), restoredLog(target, baseline, generation, null)],
    resume: null,
  });
  if (input.checkpoint === null) return abandoned("the daemon stopped without a checkpoint of this experiment");
  let checkpoint: RuntimeCheckpoint;
  try {
    checkpoint = JSON.parse(input.checkpoint) as RuntimeCheckpoint;
  } catch {
    return abandoned("the experiment's checkpoint is not valid JSON");
  }
  // Formats 1 and 2 counted outcomes, not units: their statistics cannot be carried on per unit.
  if (checkpoint.format === 1 || checkpoint.format === 2) return abandoned("its checkpoint holds per-outcome statistics from an earlier evolvd (statistics are per unit since format 3)");
  if (checkpoint.format !== 3 || checkpoint.id !== last.experiment) return abandoned("the checkpoint belongs to another experiment");
  const arms = checkpoint.arms.map((id) => versions.get(id));
  if (arms.some((v) => v === undefined)) return abandoned("the checkpoint names a version the history does not have");
  if (checkpoint.arms[0] !== baseline.id) return abandoned("the baseline changed since the checkpoint");

  // What the history says of this generation, so status views read as if it never stopped.
  const own = history.filter((e) => (e.kind === "transition" || e.kind === "arm_exit") && e.experiment === checkpoint.id);
  let record: GenerationRecord = { ...newRecord(checkpoint.id, checkpoint.generation, baseline.id, own[0]?.at ?? now, (arms as Version[]).slice(1), []), arms: [...checkpoint.arms], status: last.status };
  for (const entry of own) {
    if (entry.kind === "transition") record = { ...record, reason: entry.reason };
    else if (entry.kind === "arm_exit") record = entry.exit === "pulled" ? { ...record, pulled: [...record.pulled, { version: entry.version, reason: entry.reason }] } : { ...record, rejected: [...record.rejected, { version: entry.version, reason: entry.reason }] };
  }
  const state: TargetState = {
    ...base,
    rebalances: typeof checkpoint.ticks === "number" ? checkpoint.ticks : 0,
    records: [record],
    kind: "live",
    experiment: { id: checkpoint.id, generation: checkpoint.generation, arms: checkpoint.arms, status, canaryStep: checkpoint.canaryStep, paused: pausedOf(last.status, checkpoint), startedAt: startOf(own, checkpoint, now) },
  };
  const resumed = log("info", { target: target.name, experiment: checkpoint.id, status: last.status, weights: checkpoint.periods[checkpoint.periods.length - 1]?.weights ?? null }, "experiment resumed from checkpoint");
  return { state, effects: [...effects, resumed, restoredLog(target, baseline, generation, checkpoint.id)], resume: { checkpoint: { ...checkpoint, status, paused: state.kind === "live" ? state.experiment.paused : [] }, arms: arms as Version[], aliases } };
}

/**
 * Why a restored experiment is paused: the checkpoint's causes while the history says paused (an
 * operator's pause when a crash came between the two writes: resuming it is the operator's call).
 */
function pausedOf(status: ExperimentStatus, checkpoint: RuntimeCheckpoint): readonly PauseCause[] {
  if (status !== "paused") return [];
  const causes = (checkpoint.paused ?? []).filter((c): c is PauseCause => c === "operator" || c === "schedule");
  return causes.length > 0 ? [...new Set(causes)].sort() : ["operator"];
}

/** When the experiment began taking traffic: its transition into canary, else its first period. */
function startOf(own: readonly HistoryEntry[], checkpoint: RuntimeCheckpoint, now: number): number {
  const canary = own.find((e) => e.kind === "transition" && e.to === "canary");
  return canary?.at ?? checkpoint.periods[0]?.from ?? now;
}

function restoredLog(target: Target, baseline: Version, generation: number, resumed: string | null): Effect {
  return log("info", { target: target.name, version: baseline.id, generation, resumed }, "target restored");
}

/**
 * Each baseline's drift from the anchor, replayed from the history: the target file's baseline
 * (initial, reload) is an anchor; a commit chains its evidence onto its parent baseline's
 * drift; a rollback returns to a version whose drift is already known.
 */
function driftOf(history: readonly HistoryEntry[], current: VersionId): ReadonlyMap<VersionId, Drift> {
  const drift = new Map<VersionId, Drift>();
  // A segment's own baseline drifts along that segment's commits (keyed driftKey(segment, version)).
  const own = new Set<string>();
  for (const entry of history) {
    if (entry.kind !== "baseline") continue;
    const { segment } = entry;
    if (segment === undefined) own.clear();
    const key = driftKey(segment, entry.version);
    const previous = entry.previous === null ? null : segment !== undefined && own.has(segment) ? driftKey(segment, entry.previous) : entry.previous;
    if (entry.cause === "commit") drift.set(key, driftAfterCommit(drift, previous, entry.version, entry.evidence));
    else if (entry.cause !== "rollback") drift.set(key, NO_DRIFT);
    else if (!drift.has(key)) drift.set(key, drift.get(entry.version) ?? NO_DRIFT);
    if (segment !== undefined) own.add(segment);
  }
  if (!drift.has(current)) drift.set(current, NO_DRIFT);
  return drift;
}

/**
 * The segments' own baselines the history leaves, as far as the target file still asks for them
 * (policy.segmentBaselines, a segment it names) and their versions still fit its schema; one that
 * no longer does is dropped, with a log line, and its segment serves the target's baseline.
 */
function segmentsServing(target: Target, history: readonly HistoryEntry[], versions: ReadonlyMap<VersionId, Version>, effects: Effect[]): Map<string, Version> {
  const { served, dropped } = servableSegmentBaselines(target, segmentBaselinesOf(history), versions);
  for (const d of dropped) effects.push(log("warn", { target: target.name, segment: d.segment, version: d.version, reason: d.reason }, "segment baseline not served"));
  return served;
}

/** Which recorded segment baselines a target serves (restore and scale-out replicas apply the same rule). */
export function servableSegmentBaselines(target: Target, recorded: ReadonlyMap<string, VersionId>, versions: ReadonlyMap<VersionId, Version>): { served: Map<string, Version>; dropped: { segment: string; version: VersionId; reason: string }[] } {
  const served = new Map<string, Version>();
  const dropped: { segment: string; version: VersionId; reason: string }[] = [];
  if (recorded.size === 0) return { served, dropped };
  const names = new Set([...target.policy.segments.map((s) => s.name), OTHER_SEGMENT]);
  for (const [segment, id] of recorded) {
    const version = versions.get(id);
    const why = !target.policy.segmentBaselines ? "policy.segmentBaselines is off" : !names.has(segment) ? "the target file no longer names this segment" : !version ? "its version is not in the history" : validateValues(target.schema, target.functions, version.values).length > 0 ? "its version no longer fits the target's schema" : null;
    if (why === null && version) served.set(segment, version);
    else dropped.push({ segment, version: id, reason: why ?? "unknown" });
  }
  return { served, dropped };
}
