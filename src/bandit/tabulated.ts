import type { Xoshiro128 } from "./xoshiro.js";

/**
 * The twin of the kernel's tabulated Beta posteriors (see wasm-kernels/assembly/bandit.ts):
 * the quantile function at QUANTILES + 1 equally spaced probabilities, from a CDF integrated
 * with Simpson's rule on GRID knots over mean ± 12 sd; a draw interpolates it at a uniform.
 * Same construction, same operations as the kernel.
 */
export const GRID = 1024;
export const QUANTILES = 2048; // = 2^11: quantileAt takes the knot from 11 bits
const HALF_RANGE_SD = 12.0;

/** f32 knots, as in the kernel: half the cache footprint, resolution 6e-8. */
export type QuantileTable = Float32Array;

function logDensity(a: number, b: number, x: number): number {
  const left = a === 1.0 ? 0.0 : (a - 1.0) * Math.log(x);
  const right = b === 1.0 ? 0.0 : (b - 1.0) * Math.log(1.0 - x);
  return left + right;
}

export function buildBetaTable(a: number, b: number): QuantileTable {
  const mean = a / (a + b);
  const sd = Math.sqrt((a * b) / ((a + b) * (a + b) * (a + b + 1.0)));
  const lo = Math.max(0.0, mean - HALF_RANGE_SD * sd);
  const hi = Math.min(1.0, mean + HALF_RANGE_SD * sd);
  const h = (hi - lo) / (GRID - 1);
  const mode = a + b > 2.0 ? (a - 1.0) / (a + b - 2.0) : 0.5;
  const logMax = logDensity(a, b, Math.min(hi, Math.max(lo, mode)));
  const cdf = new Float64Array(GRID);
  let previous = Math.exp(logDensity(a, b, lo) - logMax);
  let total = 0;
  for (let j = 1; j < GRID; j++) {
    const x = lo + j * h;
    const middle = Math.exp(logDensity(a, b, x - 0.5 * h) - logMax);
    const density = Math.exp(logDensity(a, b, x) - logMax);
    total += (h / 6.0) * (previous + 4.0 * middle + density);
    cdf[j] = total;
    previous = density;
  }
  const q = new Float32Array(QUANTILES + 1);
  q[0] = lo;
  q[QUANTILES] = hi;
  let j = 0;
  for (let m = 1; m < QUANTILES; m++) {
    const target = (m / QUANTILES) * total;
    while (j < GRID - 2 && (cdf[j + 1] as number) <= target) j++;
    const c0 = cdf[j] as number;
    const c1 = cdf[j + 1] as number;
    const within = c1 > c0 ? (target - c0) / (c1 - c0) : 0.0;
    q[m] = lo + (j + within) * h;
  }
  return q;
}

/** Inverse-transform draw for the 32-bit uniform r: top 11 bits pick the knot, low 21 interpolate. */
export function quantileAt(q: QuantileTable, r: number): number {
  const m = r >>> 21;
  const q0 = q[m] as number;
  const q1 = q[m + 1] as number;
  return q0 + (r & 0x1fffff) * 4.76837158203125e-7 * (q1 - q0);
}

export function tabulatedDraw(q: QuantileTable, rng: Xoshiro128): number {
  return quantileAt(q, rng.nextU32());
}

/** The sampled distribution's CDF at x (linear between tabulated quantiles), for accuracy tests. */
export function tableCdf(q: QuantileTable, x: number): number {
  if (x <= (q[0] as number)) return 0;
  if (x >= (q[QUANTILES] as number)) return 1;
  let lo = 0;
  let hi = QUANTILES;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((q[mid] as number) <= x) lo = mid;
    else hi = mid;
  }
  const q0 = q[lo] as number;
  const q1 = q[lo + 1] as number;
  return (lo + (q1 > q0 ? (x - q0) / (q1 - q0) : 0)) / QUANTILES;
}
