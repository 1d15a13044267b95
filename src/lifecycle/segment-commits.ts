import { winnerOf, type Verdict } from "../decide/decision.js";
import type { SegmentAnalysis } from "../decide/segments.js";
import type { HistoryEntry } from "../domain/history.js";
import type { Policy } from "../domain/target.js";
import type { Version, VersionId } from "../domain/version.js";
import { driftAfterCommit, NO_DRIFT, type Drift } from "../decide/drift.js";
import { OTHER_SEGMENT } from "../targeting/segments.js";
import { baselineOf, driftKey, type TargetState } from "./state.js";

/**
 * Per-segment baselines (policy.segmentBaselines). Every segment — "other" included — serves a
 * baseline: its own once a candidate was committed for it alone, else the target's. In an
 * experiment the baseline arm serves each unit its segment's baseline, so within a segment the
 * arms are compared with what that segment is served now. A candidate is committed for every
 * segment whose own analysis (at alpha / segments) finds it the winner, and a winner of the whole
 * for every other segment whose reading leans its way without showing it worse; the other
 * segments keep their baseline.
 */

/** One segment's baseline moving to `version`. */
export interface SegmentCommit {
  readonly segment: string;
  readonly version: VersionId;
  readonly reason: string;
}

const pct = (x: number): string => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(2)}%`;

/** Every segment's name, "other" last. */
export const segmentNames = (policy: Policy): string[] => [...policy.segments.map((s) => s.name), OTHER_SEGMENT];

/** The drift from the anchor of the baseline a segment serves (its own along its commits, else the target's). */
export function segmentDrift(state: TargetState, segment: string): Drift {
  const own = state.segmentBaselines.get(segment);
  return state.drift.get(own ? driftKey(segment, own.id) : state.baseline.id) ?? NO_DRIFT;
}

/**
 * Whether the whole's "worse primary" must spare `arm`: it is worse on the whole, but a segment
 * does not read it worse and may still make it its winner. It is pulled once every segment does.
 */
export function spareFor(segments: readonly SegmentAnalysis[]): (arm: VersionId) => boolean {
  return (arm) => !segments.every((s) => s.analysis.arms.find((a) => a.arm === arm)?.primary.verdict === "worse");
}

/**
 * The commits one tick allows, segment by segment, given the whole's verdict and the arms out of
 * traffic (pulled before or this tick): empty while no segment has a winner.
 */
export function segmentCommits(state: TargetState, segments: readonly SegmentAnalysis[], verdict: Verdict, out: ReadonlySet<VersionId>, policy: Policy): SegmentCommit[] {
  const commits: SegmentCommit[] = [];
  for (const { segment, alpha, analysis } of segments) {
    const live = analysis.arms.filter((a) => !out.has(a.arm) && !a.pulled);
    const { winner } = winnerOf(live, analysis.baselineUnits, policy, segmentDrift(state, segment));
    if (winner) {
      const effect = winner.primary.comparison?.effect ?? 0;
      const bound = winner.primary.bounds?.good ?? 0;
      commits.push({ segment, version: winner.arm, reason: `segment ${segment}: ${policy.primary.kpi} ${pct(effect)}, at least ${pct(bound)} (one-sided always-valid bound at alpha ${alpha.toPrecision(3)}), guardrails within tolerance` });
      continue;
    }
    if (verdict.kind !== "commit") continue;
    const reading = analysis.arms.find((a) => a.arm === verdict.arm);
    // The whole's evidence carries it into a segment whose own reading leans its way and shows
    // nothing against it (a worse primary, a breached guardrail).
    const effect = reading?.primary.comparison?.effect;
    const leans = effect !== undefined && (policy.primary.direction === "increase" ? effect > 0 : effect < 0);
    if (!leans || reading?.primary.verdict === "worse" || reading?.guardrails.some((g) => g.breached)) continue;
    commits.push({ segment, version: verdict.arm, reason: `the whole's winner, not worse in segment ${segment}: ${verdict.reason}` });
  }
  return commits;
}

/** What segment commits leave: the history entries, the segments' baselines, and the drift of each. */
export interface SegmentMoves {
  readonly entries: HistoryEntry[];
  readonly segmentBaselines: ReadonlyMap<string, Version>;
  readonly drift: ReadonlyMap<string, Drift>;
}

/**
 * The baseline entries of segment commits (each with its segment's evidence, which its drift is
 * chained from) and the state they leave. A commit to the target's own baseline gives the
 * segment back to it.
 */
export function segmentMoves(state: TargetState, commits: readonly SegmentCommit[], experiment: string, evidence: unknown, now: number): SegmentMoves {
  const own = new Map(state.segmentBaselines);
  const drift = new Map(state.drift);
  const entries: HistoryEntry[] = [];
  for (const c of commits) {
    const version = state.versions.get(c.version);
    if (!version) continue;
    const previous = baselineOf(state, c.segment);
    const segmentEvidence = evidenceOfSegment(evidence, c.segment);
    entries.push({ kind: "baseline", at: now, version: version.id, previous: previous.id, cause: "commit", reason: c.reason, experiment, evidence: segmentEvidence, segment: c.segment });
    const from = state.segmentBaselines.has(c.segment) ? driftKey(c.segment, previous.id) : previous.id;
    drift.set(driftKey(c.segment, version.id), driftAfterCommit(drift, from, version.id, segmentEvidence));
    if (version.id === state.baseline.id) own.delete(c.segment);
    else own.set(c.segment, version);
  }
  return { entries, segmentBaselines: own, drift };
}

/** One segment's reading in a decision's evidence (lifecycle/tick.ts puts them under `segments`). */
function evidenceOfSegment(evidence: unknown, segment: string): unknown {
  const list = (evidence as { segments?: unknown } | null)?.segments;
  return Array.isArray(list) ? (list.find((s: { segment?: unknown }) => s?.segment === segment) ?? null) : null;
}

/** Whether commits give every segment the same version: then it is the target's new baseline. */
export function uniformCommit(commits: readonly SegmentCommit[], policy: Policy): VersionId | null {
  const first = commits[0];
  if (!first || commits.length !== segmentNames(policy).length) return null;
  return commits.every((c) => c.version === first.version) ? first.version : null;
}
