import { validateValues } from "../config/schema.js";
import { NO_DRIFT } from "../decide/drift.js";
import { problem } from "../domain/result.js";
import type { Version } from "../domain/version.js";
import { log, type Effect } from "./effects.js";
import { evidenceOf } from "./evidence.js";
import { finish } from "./finish.js";
import type { Input, StepContext } from "./inputs.js";
import { segmentNames } from "./segment-commits.js";
import { baselineOf, driftKey, known, type TargetState } from "./state.js";
import type { Step } from "./step.js";

/** What the last tick read, kept in the history when an operator ends the experiment (kill, rollback). */
export function lastReading(state: TargetState & { kind: "live" }): unknown {
  const record = state.records[state.records.length - 1];
  return record?.lastAnalysis ? evidenceOf(record.lastAnalysis, record.lastSnapshot ?? undefined) : null;
}

const refuse = (state: TargetState, code: string, message: string): Step => ({ state, effects: [], refused: problem(code, message) });

/**
 * An operator's rollback: any version the target has seen becomes the baseline — of the whole
 * target (every segment then serves it), or with `segment` of that segment alone (per-segment
 * baselines) — recorded as its own history entry. A live experiment is killed first; the next
 * generation starts from the new baselines at once, unless the kill switch holds the target.
 */
export function rollback(state: TargetState, input: Input & { kind: "rollback" }, ctx: StepContext): Step {
  const { target } = ctx;
  const { segment } = input;
  const version = state.versions.get(input.version);
  if (!version) return refuse(state, "unknown_version", `no version ${input.version} in target "${target.name}"`);
  if (segment !== undefined) {
    if (!target.policy.segmentBaselines) return refuse(state, "no_segment_baselines", `target "${target.name}" has no per-segment baselines (policy.segmentBaselines): roll back the whole target`);
    if (!segmentNames(target.policy).includes(segment)) return refuse(state, "unknown_segment", `target "${target.name}" has no segment "${segment}" (segments: ${segmentNames(target.policy).join(", ")})`);
  }
  const current = segment === undefined ? state.baseline : baselineOf(state, segment);
  const uniform = state.segmentBaselines.size === 0;
  if (version.id === current.id && (segment !== undefined || uniform))
    return refuse(state, "already_baseline", `${input.version} is already the baseline of ${segment === undefined ? `"${target.name}"` : `segment "${segment}" of "${target.name}"`}`);
  const broken = validateValues(target.schema, target.functions, version.values);
  if (broken.length) return refuse(state, "invalid_version", `${input.version} no longer fits the target's schema: ${broken.join("; ")}`);
  const effects: Effect[] = [];
  let next = state;
  if (state.kind === "live") {
    const ended = finish(state, "killed", `rollback to ${version.id}: ${input.reason}`, lastReading(state), input.now, ctx, { cause: "operator_rollback", after: { kind: "none" } });
    next = ended.state;
    effects.push(...ended.effects);
  }
  const moved = segment === undefined ? { ...known(next), baseline: version, segmentBaselines: new Map<string, Version>() } : { ...known(next), ...movedSegment(next, segment, version) };
  const previous = segment === undefined ? next.baseline.id : baselineOf(next, segment).id;
  effects.push({ kind: "append", entries: [{ kind: "baseline", at: input.now, version: version.id, previous, cause: "rollback", reason: input.reason, ...(segment === undefined ? {} : { segment }) }] });
  effects.push({ kind: "serve_baseline", version: moved.baseline, ...(moved.segmentBaselines.size > 0 ? { segments: moved.segmentBaselines } : {}) });
  effects.push(log("warn", { target: target.name, version: version.id, previous, reason: input.reason, ...(segment === undefined ? {} : { segment }) }, "baseline rolled back"));
  if (next.kind === "held") return { state: { ...moved, kind: "held", reason: next.reason }, effects };
  effects.push({ kind: "propose", generation: moved.generation + 1 });
  return { state: { ...moved, kind: "idle" }, effects };
}

/** One segment's baseline set to `version` (given back to the target's when it is that), with its drift known. */
function movedSegment(state: TargetState, segment: string, version: Version): Pick<TargetState, "segmentBaselines" | "drift"> {
  const own = new Map(state.segmentBaselines);
  if (version.id === state.baseline.id) own.delete(segment);
  else own.set(segment, version);
  const key = driftKey(segment, version.id);
  // As a replay of the history sets it (lifecycle/restore.ts driftOf).
  const drift = state.drift.has(key) ? state.drift : new Map(state.drift).set(key, state.drift.get(version.id) ?? NO_DRIFT);
  return { segmentBaselines: own, drift };
}
