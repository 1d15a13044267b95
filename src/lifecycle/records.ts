import type { Analysis } from "../decide/analysis.js";
import type { SegmentAnalysis } from "../decide/segments.js";
import type { ExperimentStatus } from "../domain/experiment.js";
import type { ExperimentSnapshot } from "../domain/snapshot.js";
import type { Version, VersionId } from "../domain/version.js";
import type { DroppedCandidate } from "../mutation/engine.js";

/**
 * What one generation did, for reports, the status API and metrics: plain data, replaced (never
 * changed in place) by every step that learns something new about the generation.
 */
export interface GenerationRecord {
  readonly generation: number;
  readonly experiment: string;
  readonly baseline: VersionId;
  readonly startedAt: number;
  readonly proposed: readonly Version[];
  readonly dropped: readonly DroppedCandidate[];
  readonly rejected: readonly { readonly version: VersionId; readonly reason: string }[];
  readonly pulled: readonly { readonly version: VersionId; readonly reason: string }[];
  readonly arms: readonly VersionId[];
  readonly status: ExperimentStatus;
  readonly reason: string;
  readonly endedAt: number | null;
  readonly committed: VersionId | null;
  /** With per-segment baselines: the segments a candidate was committed for alone (absent otherwise). */
  readonly segmentCommits?: readonly { readonly segment: string; readonly version: VersionId; readonly reason: string }[];
  readonly lastAnalysis: Analysis | null;
  /** The last tick's analysis of each segment (decide/segments.ts); null without segments. */
  readonly lastSegments: readonly SegmentAnalysis[] | null;
  readonly lastSnapshot: ExperimentSnapshot | null;
  /** Probability each arm is best on the primary KPI at the last tick (null before data). */
  readonly lastProbabilityBest: readonly number[] | null;
}

/** A fresh record of a generation that has just proposed its candidates. */
export function newRecord(experiment: string, generation: number, baseline: VersionId, now: number, proposed: readonly Version[], dropped: readonly DroppedCandidate[]): GenerationRecord {
  return { generation, experiment, baseline, startedAt: now, proposed, dropped, rejected: [], pulled: [], arms: [], status: "proposed", reason: "", endedAt: null, committed: null, lastAnalysis: null, lastSegments: null, lastSnapshot: null, lastProbabilityBest: null };
}

/** The records with the one of `experiment` (the last) changed by `change`; others as they are. */
export function updateRecord(records: readonly GenerationRecord[], experiment: string, change: Partial<GenerationRecord>): readonly GenerationRecord[] {
  const last = records[records.length - 1];
  if (!last || last.experiment !== experiment) return records;
  return [...records.slice(0, -1), { ...last, ...change }];
}
