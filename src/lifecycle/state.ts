import type { ExperimentStatus, LiveStatus, PauseCause } from "../domain/experiment.js";
import type { Drift } from "../decide/drift.js";
import type { Version, VersionId } from "../domain/version.js";
import type { StepScales } from "../mutation/step-sizes.js";
import type { Observation } from "../search/observations.js";
import type { GenerationRecord } from "./records.js";

/** The experiment a target runs now, as the lifecycle sees it (its evidence is the runtime's). */
export interface LiveState {
  readonly id: string;
  readonly generation: number;
  /** Baseline first. */
  readonly arms: readonly VersionId[];
  /** canary or running: while paused, the status it goes back to. */
  readonly status: LiveStatus;
  /** Index into the policy's canary steps. */
  readonly canaryStep: number;
  /** Why it is paused (empty while it takes traffic); see domain/experiment.ts PauseCause. */
  readonly paused: readonly PauseCause[];
  /** When it started (its first canary step): a schedule's maximum duration counts from here. */
  readonly startedAt: number;
}

/** The status an experiment shows: paused while any cause holds it, else canary or running. */
export const statusOf = (live: LiveState): ExperimentStatus => (live.paused.length > 0 ? "paused" : live.status);

/** What every state of a target knows. */
interface Known {
  readonly baseline: Version;
  /** Every version the target has seen, by id. */
  readonly versions: ReadonlyMap<VersionId, Version>;
  /** The highest generation started (0 for none): the history's, in every way evolvd runs. */
  readonly generation: number;
  /** Allocations computed so far: seeds the draws of the next (`<experiment>/allocation:<n>`). */
  readonly rebalances: number;
  /** What the generations of this state's life did, oldest first. */
  readonly records: readonly GenerationRecord[];
  /** Each baseline version's guardrail drift from the anchor along its commits (decide/drift.ts). */
  readonly drift: ReadonlyMap<VersionId, Drift>;
  /** Step scales of the nudged settings (mutation/step-sizes.ts). */
  readonly steps: StepScales;
  /** What every screened and live arm showed, newest last: the search learns from it (search/). */
  readonly observations: readonly Observation[];
  /** Operators' candidates waiting for the next generation (lifecycle/draft.ts), oldest first. */
  readonly drafts: readonly VersionId[];
  /**
   * With policy.segmentBaselines: the segments that serve another version than `baseline`
   * (a candidate committed for them alone). Empty: every unit is served `baseline`.
   */
  readonly segmentBaselines: ReadonlyMap<string, Version>;
  /** Operators' candidates drafted with a fixed traffic share: the bandit leaves them that share. */
  readonly shares: ReadonlyMap<VersionId, number>;
}

/**
 * A target's lifecycle state, one of:
 * - `idle`: no experiment; the next generation is due (proposed at once, or at the next tick
 *   when the last proposal had nothing to try);
 * - `live`: an experiment in canary or running;
 * - `held`: the kill switch holds the target: no experiment, no new generation;
 * - `done`: `maxGenerations` have started and ended.
 * Only `step` (lifecycle/step.ts) makes a new one.
 */
export type TargetState =
  | (Known & { readonly kind: "idle" })
  | (Known & { readonly kind: "live"; readonly experiment: LiveState })
  | (Known & { readonly kind: "held"; readonly reason: string })
  | (Known & { readonly kind: "done" });

/** The same state without its experiment, as `kind` (what an experiment's end leaves). */
export function settled(state: TargetState, kind: "idle" | "done"): TargetState {
  const { baseline, versions, generation, rebalances, records, drift, steps, observations, drafts, segmentBaselines, shares } = state;
  return { kind, baseline, versions, generation, rebalances, records, drift, steps, observations, drafts, segmentBaselines, shares };
}

/** Known facts of a state, for building another kind from it. */
export function known(state: TargetState): Known {
  const { baseline, versions, generation, rebalances, records, drift, steps, observations, drafts, segmentBaselines, shares } = state;
  return { baseline, versions, generation, rebalances, records, drift, steps, observations, drafts, segmentBaselines, shares };
}

/** The baseline a segment serves: its own with per-segment baselines, else the target's. */
export const baselineOf = (state: TargetState, segment: string): Version => state.segmentBaselines.get(segment) ?? state.baseline;

/** The key of a segment's baseline in the drift map: a version committed for one segment drifted along that segment's commits. */
export const driftKey = (segment: string | undefined, version: VersionId): string => (segment === undefined ? version : `${segment}:${version}`);
