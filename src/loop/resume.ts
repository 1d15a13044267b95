import { isLive, type ExperimentStatus } from "../domain/experiment.js";
import type { HistoryEntry } from "../domain/history.js";
import type { Target } from "../domain/target.js";
import type { Version, VersionId } from "../domain/version.js";
import { breakerRules } from "../stream/circuit-breaker.js";
import { kpiRules } from "../stream/kpi-rules.js";
import { LiveExperiment, type ExperimentCheckpoint } from "../stream/live-experiment.js";

/** The last experiment a history started, and the state its last transition left it in. */
interface LastExperiment {
  readonly experiment: string;
  readonly generation: number;
  readonly status: ExperimentStatus;
}

export function lastExperiment(history: readonly HistoryEntry[]): LastExperiment | null {
  let last: LastExperiment | null = null;
  for (const entry of history) {
    if (entry.kind !== "transition") continue;
    const previous: LastExperiment | null = last;
    if (previous === null || entry.generation >= previous.generation) last = { experiment: entry.experiment, generation: entry.generation, status: entry.to };
  }
  return last;
}

export type Resumption =
  | { readonly kind: "none" }
  /** ticks: the optimizer's tick count at the checkpoint (seeds allocation), when recorded. */
  | { readonly kind: "resumed"; readonly experiment: LiveExperiment; readonly ticks?: number }
  /** The history says an experiment was live, but no usable checkpoint says where it was. */
  | { readonly kind: "abandoned"; readonly experiment: string; readonly generation: number; readonly status: ExperimentStatus; readonly reason: string };

/**
 * Decides what to do with the experiment that was live when the daemon stopped: resume it from
 * its checkpoint when the checkpoint matches the history (same experiment, still live, every arm
 * a known version, the current baseline first); otherwise report it abandoned, so the optimizer
 * can close it in the history instead of leaving it open forever.
 */
export function resume(input: { target: Target; history: readonly HistoryEntry[]; checkpoint: string | null; versions: ReadonlyMap<VersionId, Version>; baseline: Version }): Resumption {
  const last = lastExperiment(input.history);
  if (!last || !isLive(last.status)) return { kind: "none" };
  const abandoned = (reason: string): Resumption => ({ kind: "abandoned", experiment: last.experiment, generation: last.generation, status: last.status, reason });
  if (input.checkpoint === null) return abandoned("the daemon stopped without a checkpoint of this experiment");
  let checkpoint: ExperimentCheckpoint & { readonly ticks?: number };
  try {
    checkpoint = JSON.parse(input.checkpoint) as ExperimentCheckpoint;
  } catch {
    return abandoned("the experiment's checkpoint is not valid JSON");
  }
  if ((checkpoint.format !== 1 && checkpoint.format !== 2) || checkpoint.id !== last.experiment) return abandoned("the checkpoint belongs to another experiment");
  const arms = checkpoint.arms.map((id) => input.versions.get(id));
  if (arms.some((v) => v === undefined)) return abandoned("the checkpoint names a version the history does not have");
  if (checkpoint.arms[0] !== input.baseline.id) return abandoned("the baseline changed since the checkpoint");
  const experiment = LiveExperiment.restore({ ...checkpoint, status: last.status }, { target: input.target.name, arms: arms as Version[], kpis: kpiRules(input.target.policy), breakers: breakerRules(input.target.policy) });
  return { kind: "resumed", experiment, ...(typeof checkpoint.ticks === "number" ? { ticks: checkpoint.ticks } : {}) };
}
