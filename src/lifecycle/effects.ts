import type { HistoryEntry } from "../domain/history.js";
import type { Version, VersionId } from "../domain/version.js";

/** An experiment to start serving, once the batch that names its arms is durable. */
export interface ExperimentPlan {
  readonly id: string;
  readonly generation: number;
  /** Baseline first. */
  readonly arms: readonly Version[];
  readonly weights: readonly number[];
  readonly now: number;
  /** Versions that also count as the baseline arm: the segments' own baselines, which its units in those segments are served. */
  readonly aliases?: readonly VersionId[];
}

export type LogLevel = "debug" | "info" | "warn" | "error";

/**
 * What a step asks the world to do, as data. Order is part of the contract: the runtime applies
 * effects in order, and the serving ones that depend on history (`serve_baseline`,
 * `start_experiment`) only once every `append` before them is durable; `end_experiment`,
 * `pause_experiment` and `pull` only ever move traffic to the durable baseline, so they apply at
 * once; `unpause_experiment` waits like `start_experiment`.
 */
export type Effect =
  /** One atomic history batch. */
  | { readonly kind: "append"; readonly entries: readonly HistoryEntry[] }
  /** Serve `version` to every unit outside an experiment arm, and `segments`' own baselines to theirs (none: every segment serves `version`). */
  | { readonly kind: "serve_baseline"; readonly version: Version; readonly segments?: ReadonlyMap<string, Version> }
  | { readonly kind: "start_experiment"; readonly plan: ExperimentPlan }
  | { readonly kind: "end_experiment"; readonly id: string }
  /** Every unit gets the baseline and nothing is counted; the experiment's evidence is kept. */
  | { readonly kind: "pause_experiment"; readonly id: string }
  /** Its arms are served again (once the history before it is durable). */
  | { readonly kind: "unpause_experiment"; readonly id: string }
  | { readonly kind: "pull"; readonly arm: VersionId; readonly at: number }
  | { readonly kind: "set_weights"; readonly weights: readonly number[]; readonly at: number }
  /** Save the live experiment's checkpoint (every tick). */
  | { readonly kind: "checkpoint" }
  /** A generation is due: propose it now (embedded) or ask any instance to (scale-out). */
  | { readonly kind: "propose"; readonly generation: number }
  | { readonly kind: "log"; readonly level: LogLevel; readonly fields: Record<string, unknown>; readonly message: string }
  /** A decision, counted in metrics: kind commit, rollback, inconclusive, killed, pull, ramp, promote, hold, pause, unpause. */
  | { readonly kind: "count"; readonly decision: string; readonly cause: string };

export const log = (level: LogLevel, fields: Record<string, unknown>, message: string): Effect => ({ kind: "log", level, fields, message });
