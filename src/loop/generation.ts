import { versionIdOf } from "../config/canonical.js";
import { validateValues } from "../config/schema.js";
import type { Analysis } from "../decide/analysis.js";
import type { ExperimentStatus } from "../domain/experiment.js";
import type { HistoryEntry } from "../domain/history.js";
import type { Rng } from "../domain/rng.js";
import type { ExperimentSnapshot } from "../domain/snapshot.js";
import type { Target } from "../domain/target.js";
import type { Version, VersionId } from "../domain/version.js";
import { proposeCandidates, type DroppedCandidate } from "../mutation/engine.js";
import type { Screener } from "../sim/screening.js";
import { breakerRules } from "../stream/circuit-breaker.js";
import { kpiRules } from "../stream/kpi-rules.js";
import { LiveExperiment } from "../stream/live-experiment.js";

/** What one generation did, for reports and the status API. */
export interface GenerationRecord {
  readonly generation: number;
  readonly experiment: string;
  readonly baseline: VersionId;
  readonly startedAt: number;
  readonly proposed: readonly Version[];
  readonly dropped: readonly DroppedCandidate[];
  readonly rejected: { readonly version: VersionId; readonly reason: string }[];
  readonly pulled: { readonly version: VersionId; readonly reason: string }[];
  arms: readonly VersionId[];
  status: ExperimentStatus;
  reason: string;
  endedAt: number | null;
  committed: VersionId | null;
  lastAnalysis: Analysis | null;
  lastSnapshot: ExperimentSnapshot | null;
  /** Probability each arm is best on the primary KPI at the last tick (null before data). */
  lastProbabilityBest: number[] | null;
}

/** A fresh record of a generation that has just proposed its candidates. */
export function newRecord(experiment: string, generation: number, baseline: VersionId, now: number, proposed: readonly Version[], dropped: readonly DroppedCandidate[]): GenerationRecord {
  return {
    generation,
    experiment,
    baseline,
    startedAt: now,
    proposed,
    dropped,
    rejected: [],
    pulled: [],
    arms: [],
    status: "proposed",
    reason: "",
    endedAt: null,
    committed: null,
    lastAnalysis: null,
    lastSnapshot: null,
    lastProbabilityBest: null,
  };
}

/** A transition history entry. */
export function transitionEntry(experiment: string, generation: number, from: ExperimentStatus, to: ExperimentStatus, reason: string, at: number, arms?: readonly VersionId[], evidence?: unknown): HistoryEntry {
  return { kind: "transition", at, experiment, generation, from, to, reason, ...(arms ? { arms } : {}), ...(evidence === undefined ? {} : { evidence }) };
}

export interface GenerationPlan {
  readonly record: GenerationRecord;
  /** History entries of the proposal and screening, to write as one batch. */
  readonly entries: readonly HistoryEntry[];
  /** The experiment to start in canary, or null when nothing survived screening. */
  readonly experiment: LiveExperiment | null;
}

/**
 * One generation's start, as a pure function of its inputs: propose candidates from the
 * baseline (seeded stream `generation:G/mutation`), screen them (`generation:G/screening`),
 * and set up the canary experiment of the best `liveCandidates` survivors.
 */
export function planGeneration(input: { target: Target; baseline: Version; known: ReadonlySet<VersionId>; rng: Rng; generation: number; now: number; screen: Screener }): GenerationPlan {
  const { target, baseline, rng, generation, now } = input;
  const policy = target.policy;
  const id = `${target.name}/g${generation}`;
  const proposal = proposeCandidates({
    target: target.name,
    parent: baseline,
    plan: target.mutations,
    schema: target.schema,
    functions: target.functions,
    validate: (values) => validateValues(target.schema, target.functions, values),
    idOf: versionIdOf,
    rng: rng.fork("mutation"),
    count: policy.candidatesPerGeneration,
    generation,
    now,
    known: input.known,
  });
  const record = newRecord(id, generation, baseline.id, now, proposal.candidates, proposal.dropped);
  const entries: HistoryEntry[] = proposal.candidates.map((version) => ({ kind: "version", at: now, version }));
  entries.push(transitionEntry(id, generation, "proposed", "screening", `${proposal.candidates.length} candidates proposed (${proposal.dropped.length} dropped)`, now, proposal.candidates.map((v) => v.id), { dropped: proposal.dropped }));

  const screening = input.screen({ target, baseline, candidates: proposal.candidates, generation, rng: rng.fork("screening"), now });
  const live = screening.survivors.slice(0, policy.liveCandidates);
  const notChosen = screening.survivors.slice(policy.liveCandidates).map((s) => ({ ...s, reason: `passed screening but ranked below the ${policy.liveCandidates} best` }));
  for (const r of [...screening.rejected, ...notChosen]) {
    record.rejected.push({ version: r.version.id, reason: r.reason });
    entries.push({ kind: "arm_exit", at: now, experiment: id, version: r.version.id, exit: "rejected_in_screening", reason: r.reason, evidence: r.evidence });
  }
  if (live.length === 0) {
    const reason = proposal.candidates.length === 0 ? "no valid candidate could be proposed" : "every candidate failed screening";
    entries.push(transitionEntry(id, generation, "screening", "rejected", reason, now));
    record.status = "rejected";
    record.reason = reason;
    record.endedAt = now;
    return { record, entries, experiment: null };
  }
  const arms = [baseline, ...live.map((s) => s.version)];
  record.arms = arms.map((v) => v.id);
  // Canary step 0: the step's share split over the candidates, the rest to the baseline.
  const share = policy.canary.steps[0] as number;
  const weights = arms.map((_, i) => (i === 0 ? 1 - share : share / live.length));
  const experiment = new LiveExperiment({ id, target: target.name, generation, arms, weights, status: "canary", now, kpis: kpiRules(policy), breakers: breakerRules(policy) });
  entries.push(transitionEntry(id, generation, "screening", "canary", `${live.length} candidates passed screening`, now, record.arms, { screened: live.map((s) => ({ version: s.version.id, score: s.score })) }));
  record.status = "canary";
  return { record, entries, experiment };
}
