/**
 * The outcomes of one quantile metric in one arm, for its quantile and a standard error valid
 * for clustered data with no per-unit state: units are split by their key into GROUPS random
 * groups, and each group keeps a histogram of its outcomes' values. The arm's quantile is read
 * from the sum of the histograms; its variance is that of the group quantiles over GROUPS —
 * the random-groups estimator (Wolter, Introduction to Variance Estimation, ch. 2; the "bucket"
 * method of online experiments). All outcomes of a unit fall in one group, so the groups are
 * independent however correlated a unit's outcomes are.
 *
 * Bins are logarithmic, 1 % wide, from 10⁻³ to about 10⁹ (values below in the first bin, above
 * in the last), and a quantile is interpolated within its bin: at most 1 % off. Values must be
 * non-negative (evidence/kpi-rules.ts). A sketch costs 4 bytes a bin and group touched.
 */
import type { QuantileReading } from "../domain/snapshot.js";

export const GROUPS = 32;
const MIN = 1e-3;
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
export const BINS = 2784;

/** The lower edge of bin b ≥ 1 (bin 0 holds everything below MIN, zero included). */
const edge = (b: number): number => MIN * GROWTH ** (b - 1);

/** The upper edge of bin b (bin 0: MIN). */
export const binUpperEdge = (b: number): number => edge(b + 1);

export function binOf(x: number): number {
  if (!(x >= MIN)) return 0;
  return Math.min(BINS - 1, 1 + Math.floor(Math.log(x / MIN) / LOG_GROWTH));
}

export class QuantileSketch {
  /** GROUPS histograms, each allocated at its first outcome. */
  private readonly histograms: (Uint32Array | undefined)[] = new Array(GROUPS);
  private readonly counts = new Float64Array(GROUPS);

  add(x: number, group: number): void {
    const g = group & (GROUPS - 1);
    const h = (this.histograms[g] ??= new Uint32Array(BINS));
    const b = binOf(x);
    h[b] = (h[b] as number) + 1;
    this.counts[g] = (this.counts[g] as number) + 1;
  }

  /** The p-quantile of all outcomes and of each group's, O(GROUPS · BINS). */
  read(p: number): QuantileReading | null {
    let outcomes = 0;
    for (let g = 0; g < GROUPS; g++) outcomes += this.counts[g] as number;
    if (outcomes === 0) return null;
    const total = new Float64Array(BINS);
    const groups: number[] = [];
    for (let g = 0; g < GROUPS; g++) {
      const h = this.histograms[g];
      if (!h) continue;
      for (let b = 0; b < BINS; b++) total[b] = (total[b] as number) + (h[b] as number);
      groups.push(quantileOf(h, this.counts[g] as number, p));
    }
    return { outcomes, estimate: quantileOf(total, outcomes, p), groups };
  }

  /** Sparse plain data for a checkpoint: per group, [bin, count, bin, count, …]. */
  encode(): number[][] {
    return Array.from({ length: GROUPS }, (_, g) => {
      const h = this.histograms[g];
      const out: number[] = [];
      if (h) for (let b = 0; b < BINS; b++) if (h[b] !== 0) out.push(b, h[b] as number);
      return out;
    });
  }

  /** The sketch a checkpoint recorded; malformed entries are skipped. */
  static decode(data: unknown): QuantileSketch {
    const sketch = new QuantileSketch();
    if (!Array.isArray(data)) return sketch;
    data.slice(0, GROUPS).forEach((pairs, g) => {
      if (!Array.isArray(pairs)) return;
      for (let i = 0; i + 1 < pairs.length; i += 2) {
        const [b, c] = [pairs[i], pairs[i + 1]];
        if (!Number.isInteger(b) || b < 0 || b >= BINS || !Number.isInteger(c) || c <= 0) continue;
        const h = (sketch.histograms[g] ??= new Uint32Array(BINS));
        h[b] = (h[b] as number) + c;
        sketch.counts[g] = (sketch.counts[g] as number) + c;
      }
    });
    return sketch;
  }
}

/** The p-quantile of a histogram of n values, linear within its bin (the "type 4" rule on binned data). */
function quantileOf(h: ArrayLike<number>, n: number, p: number): number {
  const rank = p * n;
  let below = 0;
  for (let b = 0; b < BINS; b++) {
    const c = h[b] as number;
    if (c > 0 && below + c >= rank) {
      if (b === 0) return 0;
      const lo = edge(b);
      return lo + (edge(b + 1) - lo) * Math.min(1, Math.max(0, (rank - below) / c));
    }
    below += c;
  }
  return edge(BINS);
}
