/** A posterior of one arm's primary KPI: Beta for proportions, Normal for means. */
export type Posterior = { readonly kind: "beta"; readonly alpha: number; readonly beta: number } | { readonly kind: "normal"; readonly mean: number; readonly sd: number };

/**
 * The bandit engine: the WebAssembly kernel, or its TypeScript twin when the kernel cannot be
 * loaded. All posteriors of one call are of one kind. Seeds are 32-bit unsigned integers.
 */
export interface BanditEngine {
  readonly name: "wasm" | "typescript-twin";
  /** Monte-Carlo probability that each arm is best. */
  probabilityBest(posteriors: readonly Posterior[], draws: number, seed: number): number[];
  /** Top-two Thompson sampling allocation shares. */
  topTwo(posteriors: readonly Posterior[], draws: number, seed: number, topBeta: number): number[];
  /** One Thompson draw: the index of the arm whose posterior draw is largest. */
  thompson(posteriors: readonly Posterior[], seed: number): number;
  /**
   * `count` Beta(a, b) draws (benchmarks, differential tests). The kernel returns a view of
   * its memory, valid until the engine's next call: copy it (`.slice()`) to keep it.
   */
  betaDraws(a: number, b: number, count: number, seed: number): Float64Array;
  /** `count` standard normal draws. */
  normalDraws(count: number, seed: number): Float64Array;
  /** Weights with a per-arm floor: w = floor + (1 − k·floor)·p. */
  floor(shares: readonly number[], floor: number): number[];
  /** `count` inverse-transform draws from the tabulated Beta(a, b) (a, b ≥ 1). */
  tabulatedDraws(a: number, b: number, count: number, seed: number): Float64Array;
}

/**
 * Monte-Carlo probability-to-be-best and top-two shares draw Beta arms from tabulated CDFs
 * (fast); that needs every shape ≥ 1, which the Beta(1, 1) prior guarantees. Otherwise the
 * exact Marsaglia–Tsang sampler is used.
 */
export function tabulable(posteriors: readonly Posterior[]): boolean {
  return posteriors.every((p) => p.kind === "beta" && p.alpha >= 1 && p.beta >= 1);
}

/** Beta(1, 1) prior updated with successes out of trials. */
export function betaPosterior(successes: number, trials: number): Posterior {
  return { kind: "beta", alpha: successes + 1, beta: trials - successes + 1 };
}

/** Weights with a per-arm floor: w = floor + (1 − k·floor)·p. */
export function withFloor(probabilities: readonly number[], floor: number): number[] {
  const free = 1 - probabilities.length * floor;
  return probabilities.map((p) => floor + free * p);
}

/**
 * Top-two Thompson sampling shares from probabilities to be best (the formula of the kernel's
 * topTwoShares, for the twin): share_i = β·p_i + (1 − β)·Σ_{j≠i} p_j·p_i/(1 − p_j).
 */
export function topTwoShares(p: readonly number[], topBeta: number): number[] {
  const out = p.map((pi) => topBeta * pi);
  p.forEach((pj, j) => {
    const challengerMass = (1.0 - topBeta) * pj;
    const rest = 1.0 - pj;
    if (rest <= 1e-12) {
      out[j] = (out[j] as number) + challengerMass;
      return;
    }
    p.forEach((pi, i) => {
      if (i !== j) out[i] = (out[i] as number) + (challengerMass * pi) / rest;
    });
  });
  return out;
}
