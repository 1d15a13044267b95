import type { QuantileReading } from "../domain/snapshot.js";
import type { Effect } from "./welch.js";

/**
 * An arm's quantile and the variance of that estimate by random groups: the G group quantiles
 * are independent draws (whole units per group), each from 1/G of the units, so
 *   Var(q̂) ≈ s²(q̂_g) / G,
 * with G − 1 degrees of freedom. Null with fewer than two groups.
 */
export function quantileEstimate(r: QuantileReading): { readonly mean: number; readonly variance: number; readonly groups: number } | null {
  const g = r.groups.length;
  if (g < 2) return null;
  const mean = r.groups.reduce((a, b) => a + b, 0) / g;
  const s2 = r.groups.reduce((a, q) => a + (q - mean) ** 2, 0) / (g - 1);
  return { mean: r.estimate, variance: s2 / g, groups: g };
}

/**
 * The treatment's quantile against the control's, relative ((q_B − q_A) / q_A, delta method)
 * or absolute, with Welch–Satterthwaite df over the groups. `units` is the N of the sequential
 * test (units of both arms). Null without two groups in each arm or with a zero control.
 */
export function quantileEffect(control: QuantileReading, treatment: QuantileReading, relative: boolean, units: number): Effect | null {
  const a = quantileEstimate(control);
  const b = quantileEstimate(treatment);
  if (!a || !b) return null;
  const df = (a.variance + b.variance) ** 2 / ((a.variance * a.variance) / (a.groups - 1) + (b.variance * b.variance) / (b.groups - 1) || Infinity);
  const base = { controlMean: a.mean, treatmentMean: b.mean, n: units, df: Number.isFinite(df) ? df : Math.min(a.groups, b.groups) - 1 };
  if (!relative) return { ...base, effect: b.mean - a.mean, se: Math.sqrt(a.variance + b.variance) };
  if (a.mean === 0) return null;
  return { ...base, effect: (b.mean - a.mean) / a.mean, se: Math.sqrt(b.variance / (a.mean * a.mean) + (a.variance * b.mean * b.mean) / a.mean ** 4) };
}
