import type { BanditEngine } from "../bandit/posterior.js";
import type { Screener } from "../domain/ports.js";
import type { Rng } from "../domain/rng.js";
import type { ExperimentSnapshot } from "../domain/snapshot.js";
import type { Target } from "../domain/target.js";
import type { ConfigValues } from "../domain/values.js";
import type { VersionId } from "../domain/version.js";

/** Why an experiment was killed, as a field (never read back out of a reason's text). */
export type KillCause = "kill_switch" | "target_file" | "operator_rollback";

/** What happens to a target: the inputs of `step`. */
export type Input =
  /** The runtime starts driving the target: an idle target proposes its next generation. */
  | { readonly kind: "start"; readonly now: number }
  /** The analysis tick, with a snapshot of the live experiment's evidence (null when none). */
  | { readonly kind: "tick"; readonly now: number; readonly snapshot: ExperimentSnapshot | null }
  /** Propose, screen and start generation `generation` (stale when it is not the next one). */
  | { readonly kind: "propose"; readonly now: number; readonly generation: number }
  | { readonly kind: "kill"; readonly now: number; readonly cause: KillCause; readonly reason: string }
  /** An operator's pause: the live experiment stops taking traffic and keeps everything it has. */
  | { readonly kind: "pause"; readonly now: number; readonly reason: string }
  /** An operator's resume: clears the operator's pause of a live experiment, or the kill switch of a held target. */
  | { readonly kind: "resume"; readonly now: number }
  /** An operator's rollback of the whole target, or with `segment` of one segment's own baseline. */
  | { readonly kind: "rollback"; readonly now: number; readonly version: VersionId; readonly reason: string; readonly segment?: string }
  /** An operator's candidate (all settings, or the ones it changes), kept as a draft for the next generation. */
  | { readonly kind: "draft"; readonly now: number; readonly change: ConfigValues; readonly note: string; readonly share?: number };

/** What a step may consult besides the state: the target file, seeded randomness, screening, the kernel. */
export interface StepContext {
  readonly target: Target;
  /** The target's root stream (policy seed): every choice forks a labelled stream of it. */
  readonly rng: Rng;
  readonly screen: Screener;
  readonly bandit: BanditEngine;
  /**
   * The registries as they stand now: the file's lists, and for each stage registry the versions
   * every SDK syncing the target reports (docs/stages.md). Absent: the file's lists.
   */
  readonly registries?: () => Readonly<Record<string, readonly string[]>>;
}
