/**
 * Caps for revenue-like KPIs: a few whales can swamp a mean. A cap is taken from a reference
 * sample (e.g. the baseline's recent outcomes) and applied to each value before it enters the
 * sufficient statistics, so the statistics stay plain sums.
 */

/** The `quantile` (0–1) of `values` by linear interpolation (numpy's default). */
export function quantileOf(values: readonly number[], quantile: number): number {
  if (values.length === 0) throw new RangeError("no values to take a quantile of");
  if (!(quantile >= 0 && quantile <= 1)) throw new RangeError("quantile must be within [0, 1]");
  const sorted = [...values].sort((a, b) => a - b);
  const position = quantile * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return (sorted[low] as number) + ((sorted[high] as number) - (sorted[low] as number)) * (position - low);
}

/** The value capped into [lower, upper]. */
export function winsorize(value: number, upper: number, lower = Number.NEGATIVE_INFINITY): number {
  return Math.min(upper, Math.max(lower, value));
}
