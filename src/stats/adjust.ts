/**
 * Multiple-comparison adjustment across arms × KPIs. Both return adjusted p-values in input order.
 */

/** Holm–Bonferroni step-down (controls the family-wise error rate). */
export function holm(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p || a.i - b.i);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[i] = running;
  });
  return adjusted;
}

/** Benjamini–Hochberg step-up (controls the false discovery rate). */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p || a.i - b.i);
  const adjusted = new Array<number>(m);
  let running = 1;
  for (let rank = m - 1; rank >= 0; rank--) {
    const { p, i } = order[rank] as { p: number; i: number };
    running = Math.min(running, Math.min(1, (m / (rank + 1)) * p));
    adjusted[i] = running;
  }
  return adjusted;
}
