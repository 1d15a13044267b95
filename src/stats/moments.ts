import type { Moments } from "../domain/snapshot.js";

/**
 * Sufficient statistics of one KPI in one arm are immutable and mergeable, so per-period
 * buckets and per-instance partial sums combine by plain addition.
 */
export type { Moments };

export const EMPTY_MOMENTS: Moments = Object.freeze({ n: 0, sum: 0, sumSquares: 0 });

export function observe(m: Moments, x: number): Moments {
  return { n: m.n + 1, sum: m.sum + x, sumSquares: m.sumSquares + x * x };
}

export function addMoments(a: Moments, b: Moments): Moments {
  return { n: a.n + b.n, sum: a.sum + b.sum, sumSquares: a.sumSquares + b.sumSquares };
}

/** Proportion data as moments: each success is a 1, so sum = sumSquares = successes. */
export function fromSuccesses(n: number, successes: number): Moments {
  return { n, sum: successes, sumSquares: successes };
}

export function meanOf(m: Moments): number {
  return m.n > 0 ? m.sum / m.n : 0;
}

/**
 * Per-arm variance: p(1−p) for proportions; the unbiased sample variance (n−1) for means.
 * Clamped at 0 against rounding in sumSquares − n·mean².
 */
export function varianceOf(m: Moments, kind: "proportion" | "mean"): number {
  if (m.n === 0) return 0;
  const mean = m.sum / m.n;
  if (kind === "proportion") return mean * (1 - mean);
  if (m.n < 2) return 0;
  return Math.max(0, (m.sumSquares - m.n * mean * mean) / (m.n - 1));
}
