import { Xoshiro128 } from "./xoshiro.js";

/**
 * The TypeScript twin of the WebAssembly bandit kernel: the same generator and the same
 * algorithms step for step, so differential tests can compare them draw for draw, and the
 * daemon can fall back to it when the kernel cannot be loaded.
 */

/** Standard normal by the Marsaglia polar method (consumes pairs of uniforms; no spare kept). */
export function normal(rng: Xoshiro128): number {
  for (;;) {
    const u = rng.nextFloat() * 2 - 1;
    const v = rng.nextFloat() * 2 - 1;
    const s = u * u + v * v;
    if (s > 0 && s < 1) return u * Math.sqrt((-2 * Math.log(s)) / s);
  }
}

/** Gamma(shape, 1) by Marsaglia–Tsang; shape < 1 through Gamma(shape + 1)·U^(1/shape). */
export function gamma(rng: Xoshiro128, shape: number): number {
  if (shape < 1) {
    const g = gamma(rng, shape + 1);
    let u = rng.nextFloat();
    while (u === 0) u = rng.nextFloat();
    return g * Math.pow(u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x = 0;
    let v = 0;
    do {
      x = normal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.nextFloat();
    const x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2) return d * v;
    if (u > 0 && Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Beta(a, b) as X/(X+Y) with X ~ Gamma(a), Y ~ Gamma(b). */
export function beta(rng: Xoshiro128, a: number, b: number): number {
  const x = gamma(rng, a);
  const y = gamma(rng, b);
  return x / (x + y);
}

export interface BetaArm {
  readonly alpha: number;
  readonly beta: number;
}

/**
 * Monte-Carlo probability that each arm has the highest mean: `draws` joint posterior draws,
 * counting which arm's draw is largest (ties go to the lower index).
 */
export function probabilityBestBeta(arms: readonly BetaArm[], draws: number, seed: number): number[] {
  const rng = new Xoshiro128(seed);
  const wins = new Array<number>(arms.length).fill(0);
  for (let d = 0; d < draws; d++) {
    let best = 0;
    let bestValue = -1;
    for (let i = 0; i < arms.length; i++) {
      const arm = arms[i] as BetaArm;
      const value = beta(rng, arm.alpha, arm.beta);
      if (value > bestValue) {
        bestValue = value;
        best = i;
      }
    }
    wins[best] = (wins[best] as number) + 1;
  }
  return wins.map((w) => w / draws);
}
