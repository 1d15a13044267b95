import { canTransition, type PauseCause } from "../domain/experiment.js";
import { log, type Effect } from "./effects.js";
import { transitionEntry } from "./generation.js";
import type { StepContext } from "./inputs.js";
import { updateRecord } from "./records.js";
import { statusOf, type TargetState } from "./state.js";

type Live = TargetState & { readonly kind: "live" };
type Moved = { readonly state: Live; readonly effects: Effect[] };

/**
 * Adds a pause cause to the live experiment. The first cause takes its arms out of traffic —
 * every unit gets the baseline, no exposure is counted — and records `<status> → paused`; its
 * arms, units, statistics and allocation periods stay as they are, so the experiment goes on
 * where it stopped once every cause has cleared (unpause). A cause already holding it changes
 * nothing.
 */
export function pause(state: Live, cause: PauseCause, reason: string, now: number, ctx: StepContext): Moved {
  const { experiment } = state;
  if (experiment.paused.includes(cause)) return { state, effects: [] };
  const from = statusOf(experiment);
  const paused = [...experiment.paused, cause].sort();
  const next: Live = { ...state, experiment: { ...experiment, paused } };
  const fields = { target: ctx.target.name, experiment: experiment.id, cause, paused, reason };
  if (from === "paused") return { state: next, effects: [log("info", fields, "experiment pause cause added"), { kind: "checkpoint" }] };
  if (!canTransition(from, "paused")) return { state, effects: [log("error", { experiment: experiment.id, from, to: "paused" }, "refused an illegal transition")] };
  return {
    state: { ...next, records: updateRecord(state.records, experiment.id, { status: "paused" }) },
    effects: [
      { kind: "pause_experiment", id: experiment.id },
      { kind: "append", entries: [transitionEntry(experiment.id, experiment.generation, from, "paused", reason, now)] },
      log("info", fields, "experiment paused"),
      { kind: "count", decision: "pause", cause },
      { kind: "checkpoint" },
    ],
  };
}

/**
 * Clears a pause cause; the last one to clear serves the arms again, with the weights they had,
 * and records `paused → <status>`. A cause that does not hold the experiment changes nothing.
 */
export function unpause(state: Live, cause: PauseCause, reason: string, now: number, ctx: StepContext): Moved {
  const { experiment } = state;
  if (!experiment.paused.includes(cause)) return { state, effects: [] };
  const paused = experiment.paused.filter((c) => c !== cause);
  const next: Live = { ...state, experiment: { ...experiment, paused } };
  const fields = { target: ctx.target.name, experiment: experiment.id, cause, paused, reason };
  if (paused.length > 0) return { state: next, effects: [log("info", fields, "experiment pause cause cleared; still paused"), { kind: "checkpoint" }] };
  const to = experiment.status;
  return {
    state: { ...next, records: updateRecord(state.records, experiment.id, { status: to }) },
    effects: [
      { kind: "append", entries: [transitionEntry(experiment.id, experiment.generation, "paused", to, reason, now)] },
      { kind: "unpause_experiment", id: experiment.id },
      log("info", fields, "experiment unpaused"),
      { kind: "count", decision: "unpause", cause },
      { kind: "checkpoint" },
    ],
  };
}
