import { normalCdf } from "./distributions.js";

export interface MannWhitneyResult {
  /** U of the first sample. */
  readonly u: number;
  /** Two-sided, normal approximation with tie and continuity correction. */
  readonly pValue: number;
}

/** Mann–Whitney U for latency-like KPIs kept as raw samples (scipy's asymptotic method). */
export function mannWhitney(x: readonly number[], y: readonly number[]): MannWhitneyResult {
  const nx = x.length;
  const ny = y.length;
  if (nx === 0 || ny === 0) throw new RangeError("both samples need at least one value");
  const all = [...x.map((v) => ({ v, fromX: true })), ...y.map((v) => ({ v, fromX: false }))].sort((a, b) => a.v - b.v);
  const n = all.length;
  let rankSumX = 0;
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && (all[j + 1] as { v: number }).v === (all[i] as { v: number }).v) j++;
    const rank = (i + j) / 2 + 1;
    const ties = j - i + 1;
    tieTerm += ties ** 3 - ties;
    for (let k = i; k <= j; k++) if ((all[k] as { fromX: boolean }).fromX) rankSumX += rank;
    i = j + 1;
  }
  const u = rankSumX - (nx * (nx + 1)) / 2;
  const mu = (nx * ny) / 2;
  const sigma = Math.sqrt(((nx * ny) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  if (sigma === 0) return { u, pValue: 1 };
  const z = (Math.abs(u - mu) - 0.5) / sigma;
  return { u, pValue: Math.min(1, 2 * normalCdf(-z)) };
}
