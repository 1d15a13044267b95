import type { Rng } from "../domain/rng.js";

/**
 * An exact Binomial(n, p) draw by inversion searching outward from the mode (Kemp's
 * chop-down): about √(np) steps instead of n Bernoulli draws. Used where simulations work on
 * sufficient statistics directly (the decision-quality benchmark).
 */
export function binomial(n: number, p: number, rng: Rng): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (n < 30) {
    let k = 0;
    for (let i = 0; i < n; i++) if (rng.next() < p) k++;
    return k;
  }
  const q = 1 - p;
  const mode = Math.min(n, Math.floor((n + 1) * p));
  const logPmfMode = logChoose(n, mode) + mode * Math.log(p) + (n - mode) * Math.log(q);
  const pmfMode = Math.exp(logPmfMode);
  let u = rng.next() - pmfMode;
  if (u <= 0) return mode;
  // Walk down and up alternately; each k owns an interval of length pmf(k) of [0, 1).
  let down = mode;
  let up = mode;
  let pDown = pmfMode;
  let pUp = pmfMode;
  const ratio = p / q;
  while (down > 0 || up < n) {
    if (down > 0) {
      pDown *= down / (n - down + 1) / ratio;
      down--;
      u -= pDown;
      if (u <= 0) return down;
    }
    if (up < n) {
      pUp *= ((n - up) / (up + 1)) * ratio;
      up++;
      u -= pUp;
      if (u <= 0) return up;
    }
  }
  return mode;
}

function logChoose(n: number, k: number): number {
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

/** ln(n!) by Stirling's series beyond a small exact table. */
function logFactorial(n: number): number {
  if (n < 20) {
    let r = 0;
    for (let i = 2; i <= n; i++) r += Math.log(i);
    return r;
  }
  const x = n + 1;
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x ** 3) + 1 / (1260 * x ** 5);
}
