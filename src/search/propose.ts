import type { SchemaLeaf, SearchPolicy } from "../domain/target.js";
import { getPath, setPath, type ConfigValues } from "../domain/values.js";
import type { AppliedMutation, MutationOp, Version, VersionId } from "../domain/version.js";
import { proposeCandidates, type DroppedCandidate, type Proposal, type ProposeInput } from "../mutation/engine.js";
import type { FeatureSpace } from "./features.js";
import { dot } from "./linalg.js";
import type { Observation } from "./observations.js";
import { randomValues } from "./random-values.js";
import { fitSurrogate, goodSide, withinTolerance, type ModelledKpi, type Surrogate } from "./surrogate.js";

export interface SearchInput extends ProposeInput {
  readonly search: SearchPolicy;
  readonly space: FeatureSpace;
  readonly observations: readonly Observation[];
  readonly versions: ReadonlyMap<VersionId, Version>;
  /** The primary first, then the guardrails (with tolerance and the baseline's drift). */
  readonly kpis: readonly ModelledKpi[];
}

/** How one candidate was chosen, for the history and the operator. */
export interface Pick {
  readonly version: VersionId;
  readonly by: "mutation" | "random" | "explore" | "model" | "recombination" | "operator";
  /** The surrogate's posterior mean of the primary's lift (relative), when it chose. */
  readonly predicted?: number;
}

export interface SearchProposal extends Proposal {
  readonly picks: readonly Pick[];
  /** What the surrogate was fitted on (null when no model was used). */
  readonly model: { readonly liveRows: number; readonly observations: number; readonly pool: number } | null;
}

/**
 * The candidates of one generation, by the policy's strategy:
 * - `mutation`: seeded mutations of the baseline (mutation/engine.ts);
 * - `random`: every planned setting drawn afresh (a benchmark reference);
 * - `surrogate`: a share `explore` of plain mutations, the rest chosen from a pool of mutations
 *   and recombinations of good arms: the first the one the model expects most of, the others by
 *   Thompson sampling on the surrogate: for each slot one
 *   function is drawn from the posterior of every KPI, and the pool member with the best drawn
 *   primary whose drawn guardrails stay within tolerance (of the baseline and of the anchor),
 *   and whose expected guardrails do too, is taken. Until there is evidence, all are plain mutations.
 * Every candidate is schema-valid, content-addressed, never one already tried, and seeded.
 */
export function searchCandidates(input: SearchInput): SearchProposal {
  if (input.search.strategy === "random") {
    const proposal = proposeCandidates({ ...input, move: randomValues });
    return { ...proposal, picks: proposal.candidates.map((v) => ({ version: v.id, by: "random" })), model: null };
  }
  if (input.search.strategy === "mutation" || input.observations.length === 0) {
    const proposal = proposeCandidates(input);
    return { ...proposal, picks: proposal.candidates.map((v) => ({ version: v.id, by: "mutation" })), model: null };
  }
  const explorers = Math.min(input.count, Math.round(input.count * input.search.explore));
  const plain = proposeCandidates({ ...input, count: explorers, rng: input.rng.fork("explore") });
  const known = new Set([...(input.known ?? []), ...plain.candidates.map((v) => v.id)]);
  const surrogate = fitSurrogate(input.space, input.kpis, input.observations, input.versions, input.parent);
  const mutated = proposeCandidates({ ...input, count: input.search.pool, rng: input.rng.fork("pool"), known, maxAttempts: 3 }).candidates;
  const pool = [...recombinations(input, surrogate, new Set([...known, ...mutated.map((v) => v.id)])), ...mutated];
  const differences = pool.map((v) => surrogate.difference(v.values));
  // A candidate the model expects, on average, to break a guardrail is never drawn.
  const expectedSafe = differences.map((d) => input.kpis.slice(1).every((g) => {
    const fit = surrogate.fits.get(g.kpi);
    return !fit || withinTolerance(dot(d, fit.mean), g);
  }));
  const chosen: Version[] = [];
  const picks: Pick[] = [];
  const dropped: DroppedCandidate[] = [...plain.dropped];
  const primary = input.kpis[0] as ModelledKpi;
  const primaryFit = surrogate.fits.get(primary.kpi);
  for (let slot = 0; slot < input.count - explorers; slot++) {
    const rng = input.rng.fork(`slot:${slot}`);
    // Slot 0 takes the best the model expects (its posterior mean), the others a posterior draw each.
    const draws = input.kpis.map((k) => {
      const fit = surrogate.fits.get(k.kpi);
      return { kpi: k, w: fit ? (slot === 0 ? fit.mean : fit.draw(rng.fork(k.kpi))) : null };
    });
    let best = -1;
    let bestScore = -Infinity;
    pool.forEach((version, i) => {
      if (chosen.includes(version) || !expectedSafe[i]) return;
      const d = differences[i] as Float64Array;
      let score = 0;
      for (const { kpi, w } of draws) {
        if (!w) continue;
        const lift = dot(d, w);
        if (kpi === primary) score = goodSide(lift, kpi.direction);
        else if (!withinTolerance(lift, kpi)) return;
      }
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    });
    const pick = pool[best];
    if (!pick) {
      dropped.push({ slot: explorers + slot, reason: "no candidate of the pool is predicted within every guardrail's tolerance" });
      continue;
    }
    chosen.push(pick);
    const predicted = primaryFit ? Math.expm1(dot(differences[best] as Float64Array, primaryFit.mean)) : undefined;
    picks.push({ version: pick.id, by: pick.seed?.endsWith("/recombination") ? "recombination" : "model", ...(predicted === undefined ? {} : { predicted }) });
  }
  for (const v of plain.candidates) picks.push({ version: v.id, by: "explore" });
  return { candidates: [...chosen, ...plain.candidates], dropped, picks, model: { liveRows: surrogate.liveRows, observations: input.observations.length, pool: pool.length } };
}

/** The operator that changes a setting of this kind, for the lineage of a recombined candidate. */
const OP_OF: Readonly<Record<SchemaLeaf["kind"], MutationOp>> = { integer: "nudge", number: "nudge", boolean: "flip", enum: "swap", function: "substitute", weights: "reweight" };
const RECOMBINED_ARMS = 6;

/**
 * Evidence carried forward: the changes of the live arms the surrogate rates above the current
 * baseline, applied to it — each arm's alone (an inconclusive arm tried again on today's
 * baseline) and every two together (mutations that looked good separately, combined).
 */
function recombinations(input: SearchInput, surrogate: Surrogate, known: Set<VersionId>): Version[] {
  const fit = surrogate.fits.get((input.kpis[0] as ModelledKpi).kpi);
  if (!fit) return [];
  const direction = (input.kpis[0] as ModelledKpi).direction;
  const leaves = new Map(input.schema.map((leaf) => [leaf.path, leaf]));
  const rated = new Map<VersionId, { changes: AppliedMutation[]; mean: number }>();
  for (const o of input.observations) {
    if (o.source !== "live" || rated.has(o.arm)) continue;
    const arm = input.versions.get(o.arm);
    const base = input.versions.get(o.base);
    if (!arm || !base) continue;
    const mean = goodSide(dot(surrogate.difference(arm.values), fit.mean), direction);
    const changes = changesOf(base.values, arm.values, input.parent.values, input.schema);
    if (mean > 0 && changes.length > 0) rated.set(o.arm, { changes, mean });
  }
  const top = [...rated.values()].sort((a, b) => b.mean - a.mean).slice(0, RECOMBINED_ARMS);
  const sets: AppliedMutation[][] = top.map((t) => t.changes);
  for (let i = 0; i < top.length; i++) for (let j = i + 1; j < top.length; j++) sets.push(merge((top[i] as { changes: AppliedMutation[] }).changes, (top[j] as { changes: AppliedMutation[] }).changes));
  const out: Version[] = [];
  for (const changes of sets) {
    let values: ConfigValues = input.parent.values;
    for (const c of changes) values = setPath(values, c.path, c.to);
    if (input.validate(values).length > 0) continue;
    const id = input.idOf(values);
    if (known.has(id) || id === input.parent.id) continue;
    known.add(id);
    const mutations = changes.filter((c) => leaves.has(c.path)).map((c) => ({ ...c, op: OP_OF[(leaves.get(c.path) as SchemaLeaf).kind] }));
    out.push({ id, target: input.target, values, parent: input.parent.id, mutations, seed: `${input.rng.seed}/recombination`, generation: input.generation, createdAt: input.now });
  }
  return out;
}

/** The settings an arm changed from its base, as changes of `onto` (skipping those it already has). */
function changesOf(base: ConfigValues, arm: ConfigValues, onto: ConfigValues, schema: readonly SchemaLeaf[]): AppliedMutation[] {
  const out: AppliedMutation[] = [];
  for (const leaf of schema) {
    const to = getPath(arm, leaf.path);
    const from = getPath(onto, leaf.path);
    if (to === undefined || from === undefined) continue;
    if (JSON.stringify(to) === JSON.stringify(getPath(base, leaf.path)) || JSON.stringify(to) === JSON.stringify(from)) continue;
    out.push({ path: leaf.path, op: OP_OF[leaf.kind], from, to });
  }
  return out;
}

/** Both sets of changes; where both change a setting, the first one's value. */
function merge(a: readonly AppliedMutation[], b: readonly AppliedMutation[]): AppliedMutation[] {
  return [...a, ...b.filter((c) => !a.some((x) => x.path === c.path))];
}

/**
 * Screening survivors in the order the surrogate expects them to do live, once it has seen
 * their screening results: those predicted within every guardrail first, then by the posterior
 * mean of the primary. The twin's own ranking is biased; the model knows by how much.
 */
export function rankByModel<T extends { readonly version: Version }>(
  arms: readonly T[],
  context: { readonly space: FeatureSpace; readonly kpis: readonly ModelledKpi[]; readonly observations: readonly Observation[]; readonly versions: ReadonlyMap<VersionId, Version>; readonly baseline: Version },
): T[] {
  const surrogate = fitSurrogate(context.space, context.kpis, context.observations, context.versions, context.baseline);
  const primary = context.kpis[0] as ModelledKpi;
  const rated = arms.map((arm, order) => {
    const d = surrogate.difference(arm.version.values);
    const mean = (kpi: ModelledKpi) => {
      const fit = surrogate.fits.get(kpi.kpi);
      return fit ? dot(d, fit.mean) : 0;
    };
    const feasible = context.kpis.slice(1).every((g) => withinTolerance(mean(g), g));
    return { arm, order, feasible, score: goodSide(mean(primary), primary.direction) };
  });
  rated.sort((a, b) => Number(b.feasible) - Number(a.feasible) || b.score - a.score || a.order - b.order);
  return rated.map((r) => r.arm);
}
