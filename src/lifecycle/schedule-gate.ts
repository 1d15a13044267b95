import type { ExperimentSnapshot } from "../domain/snapshot.js";
import type { Target } from "../domain/target.js";
import { scheduleAt } from "../targeting/schedule.js";
import { log, type Effect } from "./effects.js";
import { evidenceOf } from "./evidence.js";
import { finish } from "./finish.js";
import { transitionEntry } from "./generation.js";
import type { StepContext } from "./inputs.js";
import { pause, unpause } from "./pause.js";
import { statusOf, type TargetState } from "./state.js";
import { tickLive } from "./tick.js";

type Live = TargetState & { readonly kind: "live" };

/**
 * Whether a generation may start now: always without a schedule; with one, only inside its
 * start and end times and one of its windows. Schedules are read at ticks, in the injected
 * clock's time (virtual in simulation), so an edge takes effect within one analysis period.
 */
export function mayPropose(target: Target, now: number): boolean {
  const schedule = target.policy.schedule;
  return schedule === null || scheduleAt(schedule, now, null).kind === "open";
}

/**
 * A live experiment's tick under its schedule: outside every window it is paused (the schedule's
 * own cause, apart from an operator's), back inside it is unpaused, and once its end time or its
 * maximum duration is reached a last analysis decides — commit or roll back if the evidence
 * allows — else it ends inconclusive. Then the ordinary tick (lifecycle/tick.ts).
 */
export function tickScheduled(state: Live, snapshot: ExperimentSnapshot, now: number, ctx: StepContext): { state: TargetState; effects: Effect[] } {
  const schedule = ctx.target.policy.schedule;
  if (schedule === null) return tickLive(state, snapshot, now, ctx);
  const at = scheduleAt(schedule, now, state.experiment.startedAt);
  if (at.kind === "ended") return endBySchedule(state, snapshot, now, ctx, at.why === "end_at" ? "schedule: its end time has come" : "schedule: the experiment has run its maximum duration");
  const moved = at.kind === "open" ? unpause(state, "schedule", "schedule: inside a window", now, ctx) : pause(state, "schedule", at.kind === "before" ? "schedule: before its start time" : "schedule: outside its windows", now, ctx);
  const ticked = tickLive(moved.state, snapshot, now, ctx);
  return { state: ticked.state, effects: [...moved.effects, ...ticked.effects] };
}

function endBySchedule(state: Live, snapshot: ExperimentSnapshot, now: number, ctx: StepContext, reason: string): { state: TargetState; effects: Effect[] } {
  const effects: Effect[] = [];
  let deciding = state;
  const { experiment } = state;
  if (statusOf(experiment) === "paused") {
    // The last analysis runs on the experiment as it stands: recorded as taken out of its pause
    // (it takes no traffic: it ends within this step).
    effects.push({ kind: "append", entries: [transitionEntry(experiment.id, experiment.generation, "paused", experiment.status, `${reason}; a last analysis decides`, now)] });
    deciding = { ...state, experiment: { ...experiment, paused: [] } };
  }
  const ticked = tickLive(deciding, snapshot, now, ctx);
  effects.push(...ticked.effects);
  if (ticked.state.kind !== "live") return { state: ticked.state, effects };
  const analysis = ticked.state.records[ticked.state.records.length - 1]?.lastAnalysis;
  const ended = finish(ticked.state, "inconclusive", reason, analysis ? evidenceOf(analysis, snapshot) : null, now, ctx, { after: { kind: "next" } });
  effects.push(...ended.effects, log("info", { target: ctx.target.name, experiment: experiment.id, reason }, "experiment ended by its schedule"));
  return { state: ended.state, effects };
}
