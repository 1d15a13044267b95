import { problem, type Problem } from "../domain/result.js";
import type { Effect } from "./effects.js";
import { finish } from "./finish.js";
import { lastReading, rollback } from "./rollback.js";
import { draft } from "./draft.js";
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
      const drafted = draft(state, input.change, input.note, input.now, ctx, input.share);
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
