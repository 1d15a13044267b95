import type { Rng } from "../domain/rng.js";

/** A Poisson(mean) draw: Knuth's product of uniforms below 30, else a rounded normal (the means simulations use are small). */
export function poisson(mean: number, rng: Rng): number {
  if (!(mean > 0)) return 0;
  if (mean >= 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.normal()));
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = rng.next(); p > limit; p *= rng.next()) k++;
  return k;
}
