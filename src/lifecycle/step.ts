import { validateValues } from "../config/schema.js";
import { problem, type Problem } from "../domain/result.js";
import { log, type Effect } from "./effects.js";
import { finish } from "./finish.js";
import { draft } from "./draft.js";
import { evidenceOf } from "./evidence.js";
import { propose } from "./generation.js";
import type { Input, StepContext } from "./inputs.js";
import { pause, unpause } from "./pause.js";
import { mayPropose, tickScheduled } from "./schedule-gate.js";
import { known, type TargetState } from "./state.js";

/** What a step returns: the next state, the effects to apply in order, and a refusal if any. */
export interface Step {
  readonly state: TargetState;
  readonly effects: readonly Effect[];
  /** Why the input was refused (nothing changed then). */
  readonly refused?: Problem;
}

const unchanged = (state: TargetState, refused?: Problem): Step => (refused ? { state, effects: [], refused } : { state, effects: [] });

/** What the last tick read, kept in the history when an operator ends the experiment (kill, rollback). */
function lastReading(state: TargetState & { kind: "live" }): unknown {
  const record = state.records[state.records.length - 1];
  return record?.lastAnalysis ? evidenceOf(record.lastAnalysis, record.lastSnapshot ?? undefined) : null;
}

/**
 * The lifecycle of a target, the only writer of its state: `step(state, input)` returns the
 * next state and the effects, as data. Every rule lives here or in the functions it calls —
 * the transition table (domain/experiment.ts), "a generation is due", the canary ramp, commit,
 * rollback and inconclusive (decide/decision.ts), kill causes, pauses and schedules
 * (lifecycle/pause.ts, lifecycle/schedule-gate.ts), operators' drafts (lifecycle/draft.ts) —
 * and embedded mode, scale-out and simulations all run it.
 */
export function step(state: TargetState, input: Input, ctx: StepContext): Step {
  switch (input.kind) {
    case "start":
      return due(state, input.now, ctx);
    case "tick":
      if (state.kind === "live") return input.snapshot ? tickScheduled(state, input.snapshot, input.now, ctx) : unchanged(state);
      // A proposal that had nothing to try (every candidate screened out), or that waited for the
      // schedule, is tried again.
      return due(state, input.now, ctx);
    case "propose":
      // A request for another generation than the next one is stale (a retried job, a race).
      if (state.kind !== "idle" || input.generation !== state.generation + 1 || !mayPropose(ctx.target, input.now)) return unchanged(state);
      return propose(state, input.now, ctx);
    case "pause":
      if (state.kind !== "live") return unchanged(state, problem("not_live", `target "${ctx.target.name}" has no live experiment to pause (the kill switch holds a target)`));
      return pause(state, "operator", `operator pause: ${input.reason}`, input.now, ctx);
    case "kill": {
      const after = { kind: "hold", reason: input.reason } as const;
      if (state.kind === "live") return finish(state, "killed", `kill switch: ${input.reason}`, lastReading(state), input.now, ctx, { cause: input.cause, after });
      return { state: { ...known(state), kind: "held", reason: input.reason }, effects: [] };
    }
    case "resume":
      if (state.kind === "live") return unpause(state, "operator", "operator resume", input.now, ctx);
      if (state.kind !== "held") return unchanged(state);
      return { state: { ...known(state), kind: "idle" }, effects: [{ kind: "propose", generation: state.generation + 1 }] };
    case "rollback":
      return rollback(state, input, ctx);
    case "draft": {
      const drafted = draft(state, input.change, input.note, input.now, ctx);
      if (drafted.refused) return unchanged(state, drafted.refused);
      // An idle target takes it in the generation it proposes now (a live one at its end).
      return { state: drafted.state, effects: [...drafted.effects, ...due(drafted.state, input.now, ctx).effects] };
    }
  }
}

/** An idle target's next generation, when its schedule lets one start now. */
function due(state: TargetState, now: number, ctx: StepContext): Step {
  return state.kind === "idle" && mayPropose(ctx.target, now) ? { state, effects: [{ kind: "propose", generation: state.generation + 1 }] } : unchanged(state);
}

/**
 * An operator's rollback: any version the target has seen becomes the baseline, recorded as its
 * own history entry. A live experiment is killed first; the next generation starts from the
 * chosen version at once, unless the kill switch holds the target.
 */
function rollback(state: TargetState, input: Input & { kind: "rollback" }, ctx: StepContext): Step {
  const { target } = ctx;
  const version = state.versions.get(input.version);
  if (!version) return unchanged(state, problem("unknown_version", `no version ${input.version} in target "${target.name}"`));
  if (version.id === state.baseline.id) return unchanged(state, problem("already_baseline", `${input.version} is already the baseline of "${target.name}"`));
  const broken = validateValues(target.schema, target.functions, version.values);
  if (broken.length) return unchanged(state, problem("invalid_version", `${input.version} no longer fits the target's schema: ${broken.join("; ")}`));
  const effects: Effect[] = [];
  let next = state;
  if (state.kind === "live") {
    const ended = finish(state, "killed", `rollback to ${version.id}: ${input.reason}`, lastReading(state), input.now, ctx, { cause: "operator_rollback", after: { kind: "none" } });
    next = ended.state;
    effects.push(...ended.effects);
  }
  const previous = next.baseline.id;
  effects.push({ kind: "append", entries: [{ kind: "baseline", at: input.now, version: version.id, previous, cause: "rollback", reason: input.reason }] });
  effects.push({ kind: "serve_baseline", version });
  effects.push(log("warn", { target: target.name, version: version.id, previous, reason: input.reason }, "baseline rolled back"));
  const moved = { ...known(next), baseline: version };
  if (next.kind === "held") return { state: { ...moved, kind: "held", reason: next.reason }, effects };
  effects.push({ kind: "propose", generation: moved.generation + 1 });
  return { state: { ...moved, kind: "idle" }, effects };
}
