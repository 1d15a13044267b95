import type { Rng } from "../domain/rng.js";
import { murmur3 } from "../assign/hash.js";
import { getPath, type ConfigValues } from "../domain/values.js";

/**
 * A response model maps configuration values (and a unit's segment) to KPI distributions:
 * a linear predictor η = intercept + Σ terms + segment offset, then
 *   bernoulli: P(1) = 1/(1+e^−η)   (conversion, error)
 *   normal:    N(η, sd²)           (revenue-like means)
 *   lognormal: exp(N(η, σ²))       (latency-like, lower is better)
 */
export type Term = (SettingTerm | InteractionTerm) & {
  /** The simulated segments the term acts in (absent: all): a segment that prefers another configuration. */
  readonly segments?: readonly string[];
};

/** A term of one setting. */
export type SettingTerm =
  | { readonly path: string; readonly linear: number; readonly center?: number }
  | { readonly path: string; readonly quadratic: number; readonly center?: number }
  | { readonly path: string; readonly ifTrue: number }
  | { readonly path: string; readonly levels: Readonly<Record<string, number>> }
  | { readonly path: string; readonly dot: readonly number[] };

/**
 * Two settings that act together: c·(xa − ca)·(xb − cb), a Boolean counting as 0/1 and a
 * numeric setting as its value (a cache that helps only with a long TTL, a rerank depth that
 * pays only with the reranker on).
 */
export interface InteractionTerm {
  readonly paths: readonly [string, string];
  readonly interaction: number;
  readonly centers?: readonly [number, number];
}

export interface KpiModel {
  readonly distribution: "bernoulli" | "normal" | "lognormal";
  readonly intercept: number;
  /** Standard deviation: of the value (normal) or of its logarithm (lognormal). */
  readonly sd?: number;
  readonly terms?: readonly Term[];
  /** Additive offset of η per segment name. */
  readonly segments?: Readonly<Record<string, number>>;
  /**
   * Standard deviation of a per-unit random effect on η, fixed for the unit (a hash of its id
   * and the KPI): units differ persistently, so outcomes of one unit are correlated.
   */
  readonly unitSd?: number;
}

export type ResponseModel = Readonly<Record<string, KpiModel>>;

export interface Segment {
  readonly name: string;
  readonly share: number;
  readonly attributes: Readonly<Record<string, string>>;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** The linear predictor of one KPI for given values and segment. */
export function predictor(model: KpiModel, values: ConfigValues, segment: string): number {
  let eta = model.intercept + (model.segments?.[segment] ?? 0);
  for (const term of model.terms ?? []) if (!term.segments || term.segments.includes(segment)) eta += termValue(term, values);
  return eta;
}

function termValue(term: Term, values: ConfigValues): number {
  if ("interaction" in term) {
    const [a, b] = term.paths;
    return term.interaction * (asNumber(getPath(values, a)) - (term.centers?.[0] ?? 0)) * (asNumber(getPath(values, b)) - (term.centers?.[1] ?? 0));
  }
  const x = getPath(values, term.path);
  if ("linear" in term) return term.linear * ((x as number) - (term.center ?? 0));
  if ("quadratic" in term) return term.quadratic * ((x as number) - (term.center ?? 0)) ** 2;
  if ("ifTrue" in term) return x === true ? term.ifTrue : 0;
  if ("levels" in term) return term.levels[String(x)] ?? 0;
  const weights = x as number[];
  return term.dot.reduce((sum, c, i) => sum + c * (weights[i] ?? 0), 0);
}

/** A setting's value as a number in an interaction: a Boolean is 0/1. */
const asNumber = (x: unknown): number => (x === true ? 1 : x === false ? 0 : (x as number));

/** One draw of a KPI value given its predictor. */
export function draw(model: KpiModel, eta: number, rng: Rng): number {
  switch (model.distribution) {
    case "bernoulli":
      return rng.next() < sigmoid(eta) ? 1 : 0;
    case "normal":
      return eta + (model.sd ?? 1) * rng.normal();
    case "lognormal":
      return Math.exp(eta + (model.sd ?? 0.5) * rng.normal());
  }
}

/** The true expected value of a KPI given its predictor (for reports: "did the baseline improve?"). */
export function expected(model: KpiModel, eta: number): number {
  switch (model.distribution) {
    case "bernoulli":
      return sigmoid(eta);
    case "normal":
      return eta;
    case "lognormal":
      return Math.exp(eta + (model.sd ?? 0.5) ** 2 / 2);
  }
}

/** The true expected KPI over the segment mix, each segment served `values` (or the values it is served). */
export function trueKpi(model: KpiModel, values: ConfigValues | ((segment: Segment) => ConfigValues), segments: readonly Segment[]): number {
  return segments.reduce((sum, s) => sum + s.share * expected(model, predictor(model, typeof values === "function" ? values(s) : values, s.name)), 0);
}

/**
 * Draws outcomes for units served given versions. Predictors depend only on (version, segment),
 * so they are computed once per pair and cached: the per-event cost is the draws alone.
 */
export class Responder {
  private readonly cache = new Map<string, Float64Array>();
  private readonly names: string[];

  constructor(private readonly model: ResponseModel) {
    this.names = Object.keys(model).sort();
  }

  respond(versionId: string, values: ConfigValues, segment: string, rng: Rng, unit?: string): Record<string, number> {
    const key = `${versionId}\u0000${segment}`;
    let etas = this.cache.get(key);
    if (!etas) {
      etas = Float64Array.from(this.names.map((name) => predictor(this.model[name] as KpiModel, values, segment)));
      this.cache.set(key, etas);
    }
    const metrics: Record<string, number> = {};
    this.names.forEach((name, i) => {
      const model = this.model[name] as KpiModel;
      const own = model.unitSd && unit !== undefined ? model.unitSd * unitNormal(unit, name) : 0;
      metrics[name] = draw(model, (etas[i] as number) + own, rng);
    });
    return metrics;
  }
}

/** A standard normal fixed by (unit, KPI): Box–Muller on two independent hashes. */
export function unitNormal(unit: string, kpi: string): number {
  const u1 = (murmur3(`unit-effect\u0000${kpi}\u0000${unit}`) + 0.5) / 2 ** 32;
  const u2 = (murmur3(`unit-effect-2\u0000${kpi}\u0000${unit}`) + 0.5) / 2 ** 32;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
