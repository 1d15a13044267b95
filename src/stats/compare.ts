import { bayesSummary, type NormalPrior } from "./bayes.js";
import type { Moments } from "./moments.js";
import { studentTQuantile } from "./distributions.js";
import { sequentialBound, sequentialInterval, sequentialPValue } from "./sequential.js";
import { welchEffect, welchInterval, welchPValue, type Effect, type Kind } from "./welch.js";

export interface CompareOptions {
  readonly kind: Kind;
  readonly direction: "increase" | "decrease";
  readonly relative: boolean;
  readonly alpha: number;
  /** N* of the mixture sequential test; absent = fixed-horizon Welch interval and p-value. */
  readonly sequentialTuning?: number;
  readonly prior?: NormalPrior;
}

/** Everything evolvd says about one treatment against the control on one KPI. */
export interface Comparison {
  readonly effect: number;
  readonly se: number;
  readonly df: number;
  readonly ci: readonly [number, number];
  readonly pValue: number;
  readonly chanceToWin: number;
  readonly expectedLoss: number;
  readonly controlMean: number;
  readonly treatmentMean: number;
  readonly n: number;
}

/**
 * Compares a treatment to the control. With `sequentialTuning` the interval and p-value are
 * always valid (safe to look at every tick); without, they are Welch's fixed-horizon ones.
 * Returns null when either arm has too little data or a relative effect has a zero control.
 */
export function compare(control: Moments, treatment: Moments, options: CompareOptions): Comparison | null {
  const e = welchEffect(control, treatment, options.kind, options.relative);
  return e ? compareEffect(e, options) : null;
}

/** The intervals, p-value and Bayesian summary of an effect estimate (pooled or stratified). */
export function compareEffect(e: Effect, options: CompareOptions): Comparison {
  const sequential = options.sequentialTuning !== undefined;
  const ci = sequential
    ? sequentialInterval(e.effect, e.se, e.n, options.alpha, options.sequentialTuning as number)
    : welchInterval(e, options.alpha);
  const pValue = sequential ? sequentialPValue(e.effect, e.se, e.n, options.alpha, options.sequentialTuning as number) : welchPValue(e);
  const bayes = bayesSummary(e.effect, e.se, options.direction, options.prior);
  return {
    effect: e.effect,
    se: e.se,
    df: e.df,
    ci,
    pValue,
    chanceToWin: bayes.chanceToWin,
    expectedLoss: bayes.expectedLoss,
    controlMean: e.controlMean,
    treatmentMean: e.treatmentMean,
    n: e.n,
  };
}

/**
 * One-sided bound at level 1 − alpha: "lower" bounds the effect from below. Always valid with
 * `sequentialTuning`, else Welch's fixed-horizon t bound (valid for a single look only).
 */
export function oneSidedBound(c: Comparison, alpha: number, side: "lower" | "upper", sequentialTuning?: number): number {
  if (sequentialTuning !== undefined) return sequentialBound(c.effect, c.se, c.n, alpha, sequentialTuning, side);
  const half = studentTQuantile(1 - alpha, c.df) * c.se;
  return side === "lower" ? c.effect - half : c.effect + half;
}
