import { stepScale } from "../mutation/step-sizes.js";
import { bucketCounts } from "../assign/bucket-table.js";
import { BUCKETS } from "../assign/hash.js";
import { versionIdOf } from "../config/canonical.js";
import { validateValues } from "../config/schema.js";
import type { ExperimentStatus } from "../domain/experiment.js";
import type { HistoryEntry } from "../domain/history.js";
import type { Version, VersionId } from "../domain/version.js";
import { withFixedShares } from "../decide/allocation.js";
import { featureSpace } from "../search/features.js";
import { screeningObservation, withObservations } from "../search/observations.js";
import { rankByModel, searchCandidates } from "../search/propose.js";
import type { ModelledKpi } from "../search/surrogate.js";
import { log, type Effect } from "./effects.js";
import type { StepContext } from "./inputs.js";
import { newRecord } from "./records.js";
import { driftKey, known, type TargetState } from "./state.js";
import { segmentNames } from "./segment-commits.js";
import { NO_DRIFT, type Drift } from "../decide/drift.js";
import { registriesOf, splitUnscreenable } from "./stage-screening.js";

/** A transition history entry. */
export function transitionEntry(experiment: string, generation: number, from: ExperimentStatus, to: ExperimentStatus, reason: string, at: number, arms?: readonly VersionId[], evidence?: unknown): HistoryEntry {
  return { kind: "transition", at, experiment, generation, from, to, reason, ...(arms ? { arms } : {}), ...(evidence === undefined ? {} : { evidence }) };
}

/**
 * Generation `g` of an idle target: propose candidates from the baseline (seeded stream
 * `generation:g/mutation`), screen them (`generation:g/screening`), and start the canary of the
 * best `liveCandidates` survivors, or stay idle when none survived. With `maxGenerations`
 * generations started, the target is done instead.
 */
export function propose(state: TargetState & { kind: "idle" }, now: number, ctx: StepContext): { state: TargetState; effects: Effect[] } {
  const { target } = ctx;
  const policy = target.policy;
  if (policy.maxGenerations > 0 && state.generation >= policy.maxGenerations) return { state: { ...known(state), kind: "done" }, effects: [] };
  const generation = state.generation + 1;
  const id = `${target.name}/g${generation}`;
  const rng = ctx.rng.fork(`generation:${generation}`);
  const baseline = state.baseline;
  // Per-segment baselines: generations take turns mutating the target's baseline and each
  // segment's own, so every segment keeps being optimized; a candidate is screened against its parent.
  const { parent, drift } = parentOf(state, generation, segmentNames(policy));
  const kpis: ModelledKpi[] = [policy.primary, ...policy.guardrails.map((g) => ({ kpi: g.kpi, direction: g.direction, tolerance: g.tolerance, drift: drift[g.kpi]?.log ?? 0 }))];
  const registries = registriesOf(ctx);
  const space = featureSpace(target.schema, registries);
  // Operators' drafts take the first slots; the search fills the rest.
  // A draft some segment serves by now (an operator rolled a segment back to it) is no candidate.
  const served = new Set([baseline.id, ...[...state.segmentBaselines.values()].map((v) => v.id)]);
  const drafted = state.drafts.flatMap((d) => (served.has(d) ? [] : (state.versions.get(d) ?? [])));
  const searched = searchCandidates({
    target: target.name,
    parent,
    plan: target.mutations,
    schema: target.schema,
    functions: registries,
    validate: (values) => validateValues(target.schema, target.functions, values),
    idOf: versionIdOf,
    rng: rng.fork("mutation"),
    count: Math.max(0, policy.candidatesPerGeneration - drafted.length),
    generation,
    now,
    known: new Set(state.versions.keys()),
    stepScale: (path) => stepScale(state.steps, path),
    search: policy.search,
    space,
    observations: state.observations,
    versions: state.versions,
    kpis,
  });
  // Nothing to try (a stage registry no SDK has filled yet, a plan with nowhere left to move):
  // the generation is not spent, and the next tick asks again.
  if (drafted.length === 0 && searched.candidates.length === 0) return { state, effects: [] };
  const versions = new Map(state.versions);
  for (const v of searched.candidates) versions.set(v.id, v);
  const proposal = { ...searched, candidates: [...drafted, ...searched.candidates], picks: [...drafted.map((v) => ({ version: v.id, by: "operator" as const })), ...searched.picks] };
  let record = newRecord(id, generation, baseline.id, now, proposal.candidates, proposal.dropped);
  const entries: HistoryEntry[] = searched.candidates.map((version) => ({ kind: "version", at: now, version }));
  if (drafted.length > 0) entries.push(transitionEntry(id, generation, "draft", "proposed", `${drafted.length} operator-proposed candidate${drafted.length === 1 ? "" : "s"} taken`, now, drafted.map((v) => v.id)));
  entries.push(transitionEntry(id, generation, "proposed", "screening", `${proposal.candidates.length} candidates proposed (${proposal.dropped.length} dropped)`, now, proposal.candidates.map((v) => v.id), { dropped: proposal.dropped, search: { strategy: policy.search.strategy, picks: proposal.picks, model: proposal.model } }));

  const unscreenable = splitUnscreenable(target, parent, proposal.candidates, ctx.screen);
  const screened = ctx.screen({ target, baseline: parent, candidates: unscreenable.screenable, generation, rng: rng.fork("screening"), now });
  const screening = { survivors: [...unscreenable.skipped, ...screened.survivors], rejected: screened.rejected };
  // The model ranks the survivors once it has seen their screening (and knows the twin's bias).
  const screenedNow = (list: typeof screening.rejected) => list.flatMap((s) => screeningObservation(s.version.id, parent.id, s.evidence) ?? []);
  const seen = withObservations(state.observations, screenedNow([...screening.rejected, ...screening.survivors]));
  const ranked = proposal.model ? rankByModel(screening.survivors, { space, kpis, observations: seen, versions, baseline: parent }) : screening.survivors;
  // A draft that passed screening goes live ahead of the search's candidates: the operator asked for it.
  const isDraft = (s: { version: Version }) => state.drafts.includes(s.version.id);
  const survivors = [...ranked.filter(isDraft), ...ranked.filter((s) => !isDraft(s))];
  const live = survivors.slice(0, policy.liveCandidates);
  const notChosen = survivors.slice(policy.liveCandidates).map((s) => ({ ...s, reason: `passed screening but ranked below the ${policy.liveCandidates} best` }));
  const rejected = [...screening.rejected, ...notChosen];
  for (const r of rejected) entries.push({ kind: "arm_exit", at: now, experiment: id, version: r.version.id, exit: "rejected_in_screening", reason: r.reason, evidence: r.evidence });
  record = { ...record, rejected: rejected.map((r) => ({ version: r.version.id, reason: r.reason })) };
  // In the order the history lists them (rejected arms, then those that went live): a replay makes the same list.
  const observations = withObservations(state.observations, screenedNow([...rejected, ...live]));
  const next = { ...known(state), versions, generation, observations, drafts: [] };
  const proposed = log("info", { target: target.name, experiment: id, generation, candidates: proposal.candidates.map((v) => v.id), dropped: proposal.dropped }, "generation proposed");

  if (live.length === 0) {
    const reason = proposal.candidates.length === 0 ? "no valid candidate could be proposed" : "every candidate failed screening";
    entries.push(transitionEntry(id, generation, "screening", "rejected", reason, now));
    record = { ...record, status: "rejected", reason, endedAt: now };
    return {
      state: { ...next, kind: "idle", records: [...state.records, record] },
      effects: [{ kind: "append", entries }, proposed, log("info", { target: target.name, experiment: id, generation, reason }, "generation rejected")],
    };
  }
  const arms: Version[] = [baseline, ...live.map((s) => s.version)];
  // Canary step 0: the step's share split over the candidates, the rest to the baseline.
  const share = policy.canary.steps[0] as number;
  const equal = arms.map((_, i) => (i === 0 ? 1 - share : share / live.length));
  // A draft with a fixed share ramps like the others, never above its share.
  const fixed = arms.map((v) => state.shares.get(v.id));
  const weights = fixed.some((f) => f !== undefined) ? withFixedShares(equal, fixed, true, policy.allocation.baselineFloor) : equal;
  entries.push(transitionEntry(id, generation, "screening", "canary", `${live.length} candidates passed screening`, now, arms.map((v) => v.id), { screened: live.map((s) => ({ version: s.version.id, score: s.score, evidence: s.evidence })), ...(unscreenable.records.length > 0 ? { skippedScreening: unscreenable.records } : {}) }));
  record = { ...record, arms: arms.map((v) => v.id), status: "canary" };
  return {
    state: { ...next, kind: "live", records: [...state.records, record], experiment: { id, generation, arms: arms.map((v) => v.id), status: "canary", canaryStep: 0, paused: [], startedAt: now } },
    effects: [
      // The candidates are served only once their versions are durable.
      { kind: "append", entries },
      { kind: "start_experiment", plan: { id, generation, arms, weights, now, ...(state.segmentBaselines.size > 0 ? { aliases: [...state.segmentBaselines.values()].map((v) => v.id) } : {}) } },
      proposed,
      log("info", { target: target.name, experiment: id, generation, arms: record.arms, weights: bucketCounts(weights).map((c) => c / BUCKETS) }, "experiment started (canary)"),
    ],
  };
}

/**
 * The version generation `g` mutates, and its drift from the anchor: with per-segment baselines,
 * each version some segment serves in turn (the target's baseline only while a segment serves
 * it), so every segment's own keeps improving; otherwise the target's baseline.
 */
function parentOf(state: TargetState, generation: number, segments: readonly string[]): { parent: Version; drift: Drift } {
  if (state.segmentBaselines.size === 0) return { parent: state.baseline, drift: state.drift.get(state.baseline.id) ?? NO_DRIFT };
  const served: { key: string; parent: Version }[] = [];
  for (const segment of segments) {
    const own = state.segmentBaselines.get(segment);
    const parent = own ?? state.baseline;
    if (!served.some((p) => p.parent.id === parent.id)) served.push({ key: own ? driftKey(segment, own.id) : parent.id, parent });
  }
  const chosen = served[(generation - 1) % served.length] as { key: string; parent: Version };
  return { parent: chosen.parent, drift: state.drift.get(chosen.key) ?? NO_DRIFT };
}
