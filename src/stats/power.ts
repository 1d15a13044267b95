import { normalCdf, normalQuantile } from "./distributions.js";

/**
 * Units per arm for a two-sided test at `alpha` to detect a relative change `mde` of a KPI with
 * the given control mean with probability `power`. For proportions the variance is each arm's
 * p(1−p); for means pass the per-unit variance.
 */
export function sampleSizePerArm(input: { kind: "proportion" | "mean"; mean: number; variance?: number; mde: number; alpha: number; power: number }): number {
  const delta = Math.abs(input.mean * input.mde);
  if (!(delta > 0)) throw new RangeError("mde and mean must give a non-zero effect");
  const treated = input.mean * (1 + input.mde);
  const varianceSum =
    input.kind === "proportion" ? input.mean * (1 - input.mean) + treated * (1 - treated) : 2 * (input.variance ?? Number.NaN);
  if (!(varianceSum > 0)) throw new RangeError("a mean KPI needs a positive variance");
  const z = normalQuantile(1 - input.alpha / 2) + normalQuantile(input.power);
  return Math.ceil((z * z * varianceSum) / (delta * delta));
}

/** Power of the same two-sided test with `n` units per arm (both rejection tails, as statsmodels counts it). */
export function powerAt(input: { kind: "proportion" | "mean"; mean: number; variance?: number; mde: number; alpha: number; n: number }): number {
  const treated = input.mean * (1 + input.mde);
  const varianceSum =
    input.kind === "proportion" ? input.mean * (1 - input.mean) + treated * (1 - treated) : 2 * (input.variance ?? Number.NaN);
  const se = Math.sqrt(varianceSum / input.n);
  const shift = Math.abs(input.mean * input.mde) / se;
  const z = normalQuantile(1 - input.alpha / 2);
  return normalCdf(shift - z) + normalCdf(-shift - z);
}
