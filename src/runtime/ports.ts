import type { BanditEngine } from "../bandit/posterior.js";
import type { Clock } from "../domain/clock.js";
import type { ExperimentStatus, PauseCause } from "../domain/experiment.js";
import type { Logger } from "../domain/logger.js";
import type { HistoryStore, Screener } from "../domain/ports.js";
import type { Problem, Result } from "../domain/result.js";
import type { AllocationPeriod, SegmentStatistics } from "../domain/snapshot.js";
import type { Target } from "../domain/target.js";
import type { ConfigValues } from "../domain/values.js";
import type { Version, VersionId } from "../domain/version.js";
import type { KillCause } from "../lifecycle/inputs.js";
import type { GenerationRecord } from "../lifecycle/records.js";
import type { ExperimentRouter } from "../stream/router.js";

/** A read-only view of the experiment a target serves now, for status views and metrics. */
export interface ExperimentView {
  readonly id: string;
  readonly generation: number;
  /** canary, running or paused. */
  readonly status: ExperimentStatus;
  /** Why it is paused (empty while it takes traffic). */
  readonly paused: readonly PauseCause[];
  readonly canaryStep: number;
  /** Baseline first. */
  readonly arms: readonly Version[];
  readonly weights: readonly number[];
  isPulled(arm: VersionId): boolean;
  indexOf(arm: VersionId): number | undefined;
  /** Distinct units per arm and per-period statistics, as of now (a copy). */
  statistics(): { readonly units: readonly number[]; readonly periods: readonly AllocationPeriod[]; readonly segments?: readonly SegmentStatistics[] };
  /**
   * Embedded: distinct units per arm as of now (absent in scale-out, where this instance sees only
   * its share: status views show the last tick's merged count there).
   */
  unitsNow?(): readonly number[];
  /** Embedded: units whose served-journal rows wait to be appended (absent in scale-out). */
  journalBacklog?(): number;
}

/**
 * What the daemon (registry, admin API, metrics) needs of one target, whichever way it runs:
 * embedded (runtime/target-runtime.ts) or in scale-out (scale/shared-target.ts). Control calls
 * resolve once the change is durable, or reject with an error whose `code` says why.
 */
export interface SearchView {
  readonly strategy: string;
  /** Screened and live arms kept as evidence (the newest 300). */
  readonly observations: number;
  readonly live: number;
}

export interface TargetControl {
  readonly baseline: Version;
  readonly experiment: ExperimentView | null;
  readonly killed: boolean;
  readonly generations: readonly GenerationRecord[];
  /** Embedded: each guardrail's relative change from the anchor along the baseline's commits (decide/drift.ts). */
  readonly guardrailDrift?: Readonly<Record<string, number>>;
  /** Embedded: how candidates are proposed, and how many observations the search has learnt from. */
  readonly search?: SearchView;
  /** Why this target's decisions cannot be made durable now (null while they can): not ready. */
  readonly storeError: Error | null;
  restore(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
  flush(): Promise<void>;
  kill(reason: string, cause?: KillCause): Promise<void>;
  /** An operator's pause of the live experiment; rejects with code `not_live` when there is none. */
  pause(reason: string): Promise<void>;
  /** Clears an operator's pause, or the kill switch of a held target. */
  resume(): Promise<void>;
  /** Makes `id` the baseline of the whole target, or with `segment` of that segment alone (per-segment baselines). */
  rollbackTo(id: VersionId, reason: string, segment?: string): Promise<Result<Version, Problem>>;
  /** Per-segment baselines: the segments that serve their own version (empty when every unit gets `baseline`). */
  readonly segmentBaselines: ReadonlyMap<string, Version>;
  /** An operator's candidate (all settings or those it changes), kept as a draft for the next generation; refused with a reason. */
  draft(change: ConfigValues, note: string, share?: number): Promise<Result<Version, Problem>>;
  /** Operators' drafts waiting for the next generation. */
  readonly drafts: readonly VersionId[];
  /** Versions drafted with a fixed traffic share (embedded and scale-out alike). */
  readonly shares?: ReadonlyMap<VersionId, number>;
}

/** A drop file that could not be loaded, and why. */
export interface RejectedDrop {
  readonly file: string;
  readonly at: number;
  readonly problems: readonly string[];
}

/** A target loaded from its drop file, with the runtime that runs it. */
export interface LoadedTarget {
  readonly file: string;
  /** SHA-256 of the file's bytes: an unchanged file is not reloaded. */
  readonly hash: string;
  readonly target: Target;
  readonly runtime: TargetControl;
}

/** The loaded targets as the admin API and metrics read them (daemon/targets.ts keeps them). */
export interface TargetDirectory {
  readonly targets: readonly LoadedTarget[];
  readonly rejectedDrops: readonly RejectedDrop[];
  runtime(name: string): TargetControl | undefined;
}

/** Told of decisions and analysis ticks (metrics). */
export interface RuntimeObserver {
  /** A decision (commit, rollback, inconclusive, killed, pull, ramp, promote, hold) and its cause. */
  decision(target: string, kind: string, cause: string): void;
  /** One analysis tick took `seconds` (from the observer's own monotonic clock). */
  analysis(target: string, seconds: number): void;
  now(): number;
}

/** What every target's runtime is wired to, whichever way evolvd runs. */
export interface ModeWiring {
  readonly router: ExperimentRouter;
  readonly bandit: BanditEngine;
  readonly clock: Clock;
  readonly observer: RuntimeObserver;
  readonly log: Logger;
  /** Statistics dropped because they could not be kept (scale-out, Redis unreachable). */
  readonly onStatsDropped: (target: string, count: number) => void;
  /** A target's registries as they stand (stage versions the SDKs report: stages/registry.ts). */
  readonly registries?: (target: Target) => Readonly<Record<string, readonly string[]>>;
}

/** Gauges only a mode knows. */
export interface ModeGauges {
  readonly sharedState?: { readonly prefix: string; readonly up: boolean };
  /** Statistics entries held back per target. */
  readonly unflushed: readonly (readonly [string, number])[];
}

/**
 * How this process runs, built once at start: the store, the runtime of each target, and what
 * the mode adds around them. The composition root asks the mode, never which mode it is.
 */
export interface Mode {
  readonly store: HistoryStore;
  /** Log fields that say how this process runs. */
  readonly description: Readonly<Record<string, unknown>>;
  createRuntime(target: Target, screen: Screener): TargetControl;
  /** What this mode cannot run of a valid target file ("policy.<field>: why"); empty when all. */
  unsupported?(target: Target): readonly string[];
  /** This process stops running a target (its file changed or was removed). */
  release(runtime: TargetControl, target: Target, reason: string): Promise<void>;
  /** Starts what runs besides the targets (scale-out: the change listener, the job workers). */
  start(): Promise<void>;
  /** Why the mode is not ready (empty when it is). */
  readiness(): readonly string[];
  gauges(): ModeGauges;
  close(): Promise<void>;
}
