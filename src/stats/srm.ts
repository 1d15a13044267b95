import { chiSquareSurvival } from "./distributions.js";

export interface SrmResult {
  readonly chiSquare: number;
  readonly pValue: number;
}

/** Pearson chi-square of observed counts against expected counts (df = arms − 1). */
export function chiSquareTest(observed: readonly number[], expected: readonly number[]): SrmResult {
  let chiSquare = 0;
  let arms = 0;
  observed.forEach((o, i) => {
    const e = expected[i] ?? 0;
    if (e > 0) {
      chiSquare += (o - e) ** 2 / e;
      arms++;
    }
  });
  if (arms < 2) return { chiSquare: 0, pValue: 1 };
  return { chiSquare, pValue: chiSquareSurvival(chiSquare, arms - 1) };
}

/** Sample-ratio test against constant weights (normalised here). */
export function srmTest(observed: readonly number[], weights: readonly number[]): SrmResult {
  const total = observed.reduce((a, b) => a + b, 0);
  const weightSum = weights.reduce((a, b) => a + b, 0);
  return chiSquareTest(observed, weights.map((w) => (total * w) / weightSum));
}

/**
 * Expected counts when the allocation changed over time: each period's units are expected to
 * split by that period's weights, and the periods add up.
 */
export function expectedFromHistory(periods: readonly { readonly units: number; readonly weights: readonly number[] }[]): number[] {
  const arms = Math.max(0, ...periods.map((p) => p.weights.length));
  const expected = new Array<number>(arms).fill(0);
  for (const period of periods) {
    const weightSum = period.weights.reduce((a, b) => a + b, 0);
    if (weightSum <= 0) continue;
    period.weights.forEach((w, i) => (expected[i] = (expected[i] as number) + (period.units * w) / weightSum));
  }
  return expected;
}

export interface SrmCheck extends SrmResult {
  readonly alarm: boolean;
}

/** The alarm rule: p < threshold (0.001), and only once every arm expects `minCount` units. */
export function srmAlarm(observed: readonly number[], expected: readonly number[], threshold = 0.001, minCount = 100): SrmCheck {
  const result = chiSquareTest(observed, expected);
  const enough = expected.every((e) => e === 0 || e >= minCount);
  return { ...result, alarm: enough && result.pValue < threshold };
}
