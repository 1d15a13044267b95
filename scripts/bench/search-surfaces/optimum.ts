/**
 * The achievable optimum of a benchmark surface (scripts/bench/search.ts): the best true primary
 * KPI over a target's whole schema — the scenario's model over its segment mix — with every
 * guardrail within its tolerance of the anchor, the target file's baseline (direction-aware: a
 * `decrease` guardrail may rise by at most its tolerance). A seeded random sample of schema-valid
 * configs (weights Dirichlet(1), functions from the target's registry), then from the best
 * feasible ones coordinate-wise refinement — every level, or a grid and close neighbours of a
 * number, or mass moved between two weights — and random pairs of coordinates, which reach what
 * a binding guardrail allows only when two settings move together.
 */
import { validateValues } from "../../../src/config/schema.js";
import type { Rng } from "../../../src/domain/rng.js";
import type { SchemaLeaf, Target } from "../../../src/domain/target.js";
import { getPath, setPath, type ConfigValues, type JsonValue } from "../../../src/domain/values.js";
import { seededRng } from "../../../src/random/seeded-rng.js";
import { expected, predictor, trueKpi, type ResponseModel, type Segment } from "../../../src/sim/response-model.js";

type Truth = Record<string, number>;

export interface Problem {
  readonly target: Target;
  readonly model: ResponseModel;
  readonly segments: readonly Segment[];
  readonly anchor: Truth;
  readonly sign: number;
}

/** The surface of a scenario's model for its target, anchored at the target file's baseline. */
export function problemOf(target: Target, model: ResponseModel, segments: readonly Segment[]): Problem {
  const problem = { target, model, segments, anchor: {}, sign: target.policy.primary.direction === "increase" ? 1 : -1 };
  return { ...problem, anchor: truthOf(problem, target.baseline) };
}

const kpisOf = (p: Problem): string[] => [p.target.policy.primary.kpi, ...p.target.policy.guardrails.map((g) => g.kpi)];

/** True expected KPIs over the segment mix (trueKpi). */
export function truthOf(p: Problem, values: ConfigValues): Truth {
  return Object.fromEntries(kpisOf(p).map((k) => [k, trueKpi(p.model[k]!, values, p.segments)]));
}

/** The same as truthOf, the terms summed once for all segments: the search evaluates ~10⁶ configs. */
function quickTruth(p: Problem, values: ConfigValues): Truth {
  const truth: Truth = {};
  for (const k of kpisOf(p)) {
    const model = p.model[k]!;
    const eta = predictor(model, values, "\u0000no segment");
    truth[k] = p.segments.reduce((sum, s) => sum + s.share * expected(model, eta + (model.segments?.[s.name] ?? 0)), 0);
  }
  return truth;
}

/** Each guardrail's degradation from the anchor as a share of its tolerance (> 1: beyond it). */
export function drifts(p: Problem, t: Truth): Record<string, number> {
  return Object.fromEntries(
    p.target.policy.guardrails.map((g) => {
      const change = t[g.kpi]! / p.anchor[g.kpi]! - 1;
      const worse = g.direction === "decrease" ? change : -change;
      return [g.kpi, g.tolerance > 0 ? worse / g.tolerance : worse > 1e-12 ? Infinity : 0];
    }),
  );
}
export const feasible = (p: Problem, t: Truth): boolean => Object.values(drifts(p, t)).every((d) => d <= 1 + 1e-12);
export const gainOf = (p: Problem, t: Truth): number => p.sign * (t[p.target.policy.primary.kpi]! - p.anchor[p.target.policy.primary.kpi]!);

function drawLeaf(leaf: SchemaLeaf, target: Target, rng: Rng): JsonValue {
  switch (leaf.kind) {
    case "integer":
      return leaf.min + rng.int(leaf.max - leaf.min + 1);
    case "number":
      return leaf.min + rng.next() * (leaf.max - leaf.min);
    case "boolean":
      return rng.next() < 0.5;
    case "enum":
      return leaf.values[rng.int(leaf.values.length)] as JsonValue;
    case "function": {
      const names = target.functions[leaf.registry] ?? [];
      return names[rng.int(names.length)] as string;
    }
    case "weights": {
      // Dirichlet(1, …, 1): exponential draws, normalised.
      const e = Array.from({ length: leaf.length }, () => -Math.log(1 - rng.next()));
      const sum = e.reduce((a, b) => a + b, 0);
      return e.map((x) => x / sum);
    }
  }
}

/**
 * The values one coordinate may take from `x`: a grid and close neighbours, or every level;
 * `local`: close neighbours only (small steps along a binding guardrail).
 */
function moves(leaf: SchemaLeaf, target: Target, x: JsonValue, local = false): JsonValue[] {
  switch (leaf.kind) {
    case "integer":
    case "number": {
      const { min, max } = leaf;
      const clamp = (v: number) => Math.min(max, Math.max(min, leaf.kind === "integer" ? Math.round(v) : v));
      const near = [1e-3, 3e-3, 1e-2, 3e-2].flatMap((f) => [clamp((x as number) + f * (max - min)), clamp((x as number) - f * (max - min))]);
      if (leaf.kind === "integer") near.push(...[1, 2, 5].flatMap((d) => [clamp((x as number) + d), clamp((x as number) - d)]));
      if (local) return [...new Set(near)];
      if (leaf.kind === "integer" && max - min <= 400) return Array.from({ length: max - min + 1 }, (_, i) => min + i);
      const grid = Array.from({ length: 201 }, (_, i) => clamp(min + ((max - min) * i) / 200));
      return [...new Set([...grid, ...near])];
    }
    case "boolean":
      return [true, false];
    case "enum":
      return [...leaf.values];
    case "function":
      return [...(target.functions[leaf.registry] ?? [])];
    case "weights": {
      const w = x as number[];
      const out: number[][] = [];
      for (let i = 0; i < w.length; i++)
        for (let j = 0; j < w.length; j++)
          if (i !== j && w[i]! > 0)
            for (const f of local ? [0.1, 0.03, 0.01, 0.003] : [1, 0.5, 0.25, 0.1, 0.03, 0.01]) out.push(w.map((v, k) => (k === i ? v - f * w[i]! : k === j ? v + f * w[i]! : v)));
      return out;
    }
  }
}

export interface Optimum {
  values: ConfigValues;
  truth: Truth;
  gain: number;
}

export function optimum(p: Problem, constrained: boolean, seed: string, samples = 20_000, starts = 20): Optimum & { feasibleSamples: number } {
  const { target } = p;
  const rng = seededRng(`bench-search/${target.name}/${seed}`);
  const score = (values: ConfigValues): Optimum => {
    const truth = quickTruth(p, values);
    return { values, truth, gain: !constrained || feasible(p, truth) ? gainOf(p, truth) : -Infinity };
  };
  const drawn: Optimum[] = [score(target.baseline)];
  for (let i = 0; i < samples; i++) {
    const values = target.schema.reduce<ConfigValues>((v, leaf) => setPath(v, leaf.path, drawLeaf(leaf, target, rng)), {});
    const problems = validateValues(target.schema, target.functions, values);
    if (problems.length) throw new Error(`sampled an invalid config: ${problems.join("; ")}`);
    drawn.push(score(values));
  }
  const good = drawn.filter((s) => s.gain > -Infinity).sort((a, b) => b.gain - a.gain);
  let best = good[0]!;
  for (const start of good.slice(0, starts)) {
    let at = start;
    for (let round = 0, improved = true; improved && round < 500; round++) {
      improved = false;
      // Coordinate-wise: the best value of each setting with the others held.
      for (const leaf of target.schema)
        for (const x of moves(leaf, target, getPath(at.values, leaf.path)!)) {
          const next = score(setPath(at.values, leaf.path, x));
          if (next.gain > at.gain + 1e-15) [at, improved] = [next, true];
        }
      // Random pairs of coordinates, half of them small steps: moves a guardrail allows only together.
      for (let k = 0, tries = 0; k < 2000 && tries < 20_000; k++, tries++) {
        const [a, b] = [target.schema[rng.int(target.schema.length)]!, target.schema[rng.int(target.schema.length)]!];
        if (a === b) continue;
        const local = k % 2 === 1;
        const xa = moves(a, target, getPath(at.values, a.path)!, local);
        const xb = moves(b, target, getPath(at.values, b.path)!, local);
        const next = score(setPath(setPath(at.values, a.path, xa[rng.int(xa.length)]!), b.path, xb[rng.int(xb.length)]!));
        if (next.gain > at.gain + 1e-15) [at, improved, k] = [next, true, 0];
      }
    }
    if (at.gain > best.gain) best = at;
  }
  if (validateValues(target.schema, target.functions, best.values).length) throw new Error("the optimum left the schema");
  const truth = truthOf(p, best.values);
  for (const k of kpisOf(p)) if (Math.abs(truth[k]! - best.truth[k]!) > 1e-9 * Math.abs(truth[k]!)) throw new Error(`quickTruth disagrees with trueKpi on ${k}`);
  return { ...best, truth, gain: gainOf(p, truth), feasibleSamples: good.length - 1 };
}
