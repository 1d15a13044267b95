import type { Posterior } from "./posterior.js";

/** An arm's posterior mean and standard deviation ("higher is better" after mirroring). */
function moments(p: Posterior): { readonly mean: number; readonly sd: number } {
  if (p.kind === "normal") return { mean: p.mean, sd: p.sd };
  const n = p.alpha + p.beta;
  return { mean: p.alpha / n, sd: Math.sqrt((p.alpha * p.beta) / (n * n * (n + 1))) };
}

/** The index of the largest value, the first on ties (the baseline, listed first, wins them). */
function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if ((xs[i] as number) > (xs[best] as number)) best = i;
  return best;
}

/**
 * Upper-confidence-bound shares for a batch: the whole share goes to the arm with the largest
 * mean + √(2 ln N) · sd, where sd is the posterior standard deviation of its mean and N the
 * units seen in all arms — UCB1's bonus, with the data's own variance (clustered per-unit
 * variance included) in place of 1/n. Deterministic; floors are applied after, as for Thompson.
 */
export function ucbShares(posteriors: readonly Posterior[], totalUnits: number): number[] {
  const bonus = Math.sqrt(2 * Math.log(Math.max(2, totalUnits)));
  const bounds = posteriors.map((p) => {
    const m = moments(p);
    return m.mean + bonus * m.sd;
  });
  const best = argmax(bounds);
  return posteriors.map((_, i) => (i === best ? 1 : 0));
}

/** ε-greedy shares: ε spread equally, the rest to the arm with the largest posterior mean. */
export function epsilonGreedyShares(posteriors: readonly Posterior[], epsilon: number): number[] {
  const best = argmax(posteriors.map((p) => moments(p).mean));
  const k = posteriors.length;
  return posteriors.map((_, i) => epsilon / k + (i === best ? 1 - epsilon : 0));
}
