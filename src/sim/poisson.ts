import type { Rng } from "../domain/rng.js";

/**
 * A Poisson(mean) draw: Knuth's product of uniforms, exact while e^−mean is a normal double
 * (mean < 700; it costs about `mean` draws), a rounded normal above.
 */
export function poisson(mean: number, rng: Rng): number {
  if (!(mean > 0)) return 0;
  if (mean >= 700) return Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.normal()));
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = rng.next(); p > limit; p *= rng.next()) k++;
  return k;
}
