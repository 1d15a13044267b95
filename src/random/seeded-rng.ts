import seedrandom from "seedrandom";
import type { Rng } from "../domain/rng.js";

/**
 * The one Rng implementation: seedrandom's alea generator, forked by label.
 *
 * @example
 *   const rng = seededRng("42");
 *   const mutations = rng.fork("generation:3/mutation");
 */
export function seededRng(seed: string | number): Rng {
  const seedText = String(seed);
  const prng = seedrandom.alea(seedText);
  let spareNormal: number | undefined;
  return {
    seed: seedText,
    next: () => prng(),
    int: (n: number) => Math.floor(prng() * n),
    normal() {
      // Marsaglia polar method; keeps the spare so draws come in pairs deterministically.
      if (spareNormal !== undefined) {
        const value = spareNormal;
        spareNormal = undefined;
        return value;
      }
      let u = 0;
      let v = 0;
      let s = 0;
      do {
        u = prng() * 2 - 1;
        v = prng() * 2 - 1;
        s = u * u + v * v;
      } while (s >= 1 || s === 0);
      const factor = Math.sqrt((-2 * Math.log(s)) / s);
      spareNormal = v * factor;
      return u * factor;
    },
    fork: (label: string) => seededRng(`${seedText}/${label}`),
  };
}
