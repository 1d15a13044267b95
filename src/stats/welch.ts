import { meanOf, varianceOf, type Moments } from "./moments.js";
import { studentTQuantile, studentTSurvival } from "./distributions.js";

export type Kind = "proportion" | "mean";

/** Effect of treatment over control, with its standard error and Welch–Satterthwaite df. */
export interface Effect {
  /** Treatment − control, or (treatment − control)/|control| when relative. */
  readonly effect: number;
  readonly se: number;
  readonly df: number;
  readonly controlMean: number;
  readonly treatmentMean: number;
  /** n_A + n_B, the N of the sequential test. */
  readonly n: number;
}

/**
 * Welch's effect estimate. The relative lift uses the delta method:
 * SE² = s²_B/(n_B·m_A²) + s²_A·m_B²/(n_A·m_A⁴), with the same df as the absolute effect.
 * Returns null when an arm has fewer than two observations or a relative effect has a zero control.
 */
export function welchEffect(control: Moments, treatment: Moments, kind: Kind, relative: boolean): Effect | null {
  if (control.n < 2 || treatment.n < 2) return null;
  const mA = meanOf(control);
  const mB = meanOf(treatment);
  const vA = varianceOf(control, kind);
  const vB = varianceOf(treatment, kind);
  const qA = vA / control.n;
  const qB = vB / treatment.n;
  const denominator = (qA * qA) / (control.n - 1) + (qB * qB) / (treatment.n - 1);
  // With no variance in either arm the df are unbounded: the normal limit.
  const df = denominator > 0 ? (qA + qB) ** 2 / denominator : Number.POSITIVE_INFINITY;
  const n = control.n + treatment.n;
  if (!relative) return { effect: mB - mA, se: Math.sqrt(qA + qB), df, controlMean: mA, treatmentMean: mB, n };
  if (mA === 0) return null;
  const se = Math.sqrt(vB / (treatment.n * mA * mA) + (vA * mB * mB) / (control.n * mA ** 4));
  return { effect: (mB - mA) / Math.abs(mA), se, df, controlMean: mA, treatmentMean: mB, n };
}

/** Two-sided p-value of Welch's t-test. */
export function welchPValue(e: Effect): number {
  if (e.se === 0) return e.effect === 0 ? 1 : 0;
  return Math.min(1, 2 * studentTSurvival(Math.abs(e.effect / e.se), e.df));
}

/** Fixed-horizon two-sided interval at level 1 − alpha. */
export function welchInterval(e: Effect, alpha: number): [number, number] {
  const half = studentTQuantile(1 - alpha / 2, e.df) * e.se;
  return [e.effect - half, e.effect + half];
}
