import { pooled, pooledMean } from "../decide/analysis.js";
import { segmentEvidence } from "../decide/segments.js";
import { evidenceOf } from "../lifecycle/evidence.js";
import type { LoadedTarget } from "../runtime/ports.js";

/** Periods kept in a view: a bandit that reallocates every tick makes many; the newest matter. */
const MAX_PERIODS = 500;

/**
 * What `GET /v1/targets/:target` answers, and what the console draws: the baseline, the live
 * experiment with each arm's weight, units, KPI means and its reading against the baseline
 * (effect, always-valid interval, verdict) at the last analysis tick, P(best), the allocation
 * periods, and each segment's reading.
 */
export function targetView(loaded: LoadedTarget): unknown {
  const { runtime, target } = loaded;
  const experiment = runtime.experiment;
  const record = runtime.generations[runtime.generations.length - 1];
  const snapshot = record?.lastSnapshot ?? null;
  // Units as of now where this process sees them all (embedded), else the last tick's merged
  // count; the KPI means and readings are the last analysis tick's.
  const units = experiment?.unitsNow?.() ?? snapshot?.units ?? [];
  const kpis = [target.policy.primary.kpi, ...target.policy.guardrails.map((g) => g.kpi)];
  // The readings of the live experiment only: a finished one's are in its history entries.
  const current = record && experiment && record.experiment === experiment.id ? record : undefined;
  const readings = current?.lastAnalysis ? (evidenceOf(current.lastAnalysis) as { arms: { arm: string; primary: unknown; guardrails: unknown }[] }).arms : [];
  const periods = experiment ? experiment.statistics().periods.slice(-MAX_PERIODS).map((p) => ({ from: p.from, weights: p.weights })) : [];
  return {
    target: target.name,
    file: loaded.file,
    killed: runtime.killed,
    drafts: runtime.drafts,
    // Drafts (and the arms they became) with a fixed traffic share instead of the bandit's.
    ...(runtime.shares?.size ? { shares: Object.fromEntries(runtime.shares) } : {}),
    description: target.description,
    policy: target.policy,
    baseline: { version: runtime.baseline.id, values: runtime.baseline.values },
    // Per-segment baselines: the segments that serve their own version instead.
    ...(runtime.segmentBaselines.size > 0 ? { segmentBaselines: Object.fromEntries([...runtime.segmentBaselines].map(([segment, v]) => [segment, { version: v.id, values: v.values }])) } : {}),
    // Each guardrail's relative change from the anchor along the baseline's commits (embedded).
    guardrailDrift: runtime.guardrailDrift ?? null,
    // What the search has learnt from (embedded; search/observations.ts).
    search: runtime.search ?? null,
    experiment: experiment && {
      id: experiment.id,
      generation: experiment.generation,
      status: experiment.status,
      paused: experiment.paused,
      canaryStep: experiment.canaryStep,
      startedAt: current?.startedAt ?? null,
      analyzedAt: current?.lastAnalysis?.at ?? null,
      arms: experiment.arms.map((v, i) => {
        const reading = readings.find((r) => r.arm === v.id);
        return {
          version: v.id,
          parent: v.parent,
          role: i === 0 ? "baseline" : "candidate",
          weight: experiment.weights[i] ?? 0,
          pulled: experiment.isPulled(v.id),
          units: units[i] ?? 0,
          mutations: v.mutations,
          probabilityBest: current?.lastProbabilityBest?.[i] ?? null,
          kpis: snapshot ? Object.fromEntries(kpis.map((k) => [k, { n: pooled(snapshot, i, k).n, mean: pooledMean(snapshot, i, k) }])) : {},
          // Against the baseline (null for the baseline itself and before the first tick).
          primary: i === 0 ? null : (reading?.primary ?? null),
          guardrails: i === 0 ? [] : (reading?.guardrails ?? []),
        };
      }),
      // Weights of every arm from each period's start (ms since the epoch), oldest first.
      periods,
    },
    // Each candidate against the baseline within each segment, at alpha / segments (decide/segments.ts).
    segments: current?.lastSegments ? segmentEvidence(current.lastSegments) : null,
    lastGeneration: record && { generation: record.generation, experiment: record.experiment, status: record.status, reason: record.reason, rejected: record.rejected, pulled: record.pulled },
  };
}
