import type { Problem, Result } from "../domain/result.js";
import type { Version, VersionId } from "../domain/version.js";
import type { GenerationRecord } from "../loop/generation.js";
import type { LiveExperiment } from "../stream/live-experiment.js";

/**
 * What the daemon (registry, admin API, metrics) needs of one target, whichever way it runs:
 * embedded, the Optimizer itself; in scale-out, a SharedTarget (a replica of the shared state
 * plus decisions committed through Redis). Control methods may return promises; they resolve
 * once the change is durable (flush() for the embedded optimizer's queued history writes).
 */
export interface TargetRuntime {
  readonly baseline: Version;
  readonly experiment: LiveExperiment | null;
  readonly killed: boolean;
  readonly generations: readonly GenerationRecord[];
  /** Why this target's decisions cannot be made durable now (null while they can): not ready. */
  readonly storeError: Error | null;
  restore(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
  flush(): Promise<void>;
  kill(reason: string): void | Promise<void>;
  resume(): void | Promise<void>;
  rollbackTo(id: VersionId, reason: string): Result<Version, Problem> | Promise<Result<Version, Problem>>;
}
