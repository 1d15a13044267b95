import type { Rng } from "../domain/rng.js";
import { cholesky, dot, solveCholesky, solveLower } from "./linalg.js";

/**
 * Bayesian linear regression of a KPI's log-lift on feature differences, in kernel form (a
 * Gaussian process whose kernel is the quadratic-with-interactions feature map), multi-task
 * over two sources (Letham & Bakshy 2019):
 *   live:       y = Δφ·β + ε,          β ~ N(0, s² D)
 *   screening:  y = Δφ·(β + γ) + ε,    γ ~ N(0, (b·s)² D)   (the twin's own bias)
 *   ε ~ N(0, se² + nugget²)
 * where Δφ = φ(arm) − φ(its experiment's baseline), y = ln(1 + relative effect) and se its
 * standard error: an experiment only ever measures differences, so the model is fitted on
 * them and predicts them. D weighs interactions below main effects (small data: a few dozen
 * arms; search/features.ts). The scales s and b are chosen by the marginal likelihood over a grid (type-II
 * maximum likelihood), so the fit is as flexible as the evidence supports and no more.
 * Solving in the n×n observation space keeps a fit cheap with hundreds of features.
 */
export interface Row {
  readonly x: Float64Array;
  readonly y: number;
  readonly se: number;
  readonly screening: boolean;
}

export interface Fit {
  readonly scale: number;
  /** Bias scale of the screening twin, relative to `scale`. */
  readonly bias: number;
  readonly logEvidence: number;
  /** Posterior mean of the coefficients: the mean log-lift at d is d·mean. */
  readonly mean: Float64Array;
  /** Posterior mean and standard deviation of the live log-lift of a feature difference. */
  predict(d: Float64Array): { readonly mean: number; readonly sd: number };
  /** Weights of one function drawn from the posterior (Matheron's rule): its log-lift at d is d·w. */
  draw(rng: Rng): Float64Array;
}

const SCALES = [0.01, 0.03, 0.1, 0.3] as const;
const BIASES = [0.3, 1] as const;
/** Misfit no experiment can average away: 0.3 % of lift. */
const NUGGET = 0.003;

/** `prior`: each coefficient's prior variance relative to s² (search/features.ts). */
export function fitRegression(rows: readonly Row[], prior: Float64Array): Fit | null {
  const n = rows.length;
  const p = prior.length;
  if (n === 0) return null;
  // K0 = X D Xᵀ, shared by every grid point.
  const k0 = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const xi = (rows[i] as Row).x;
    for (let j = 0; j <= i; j++) {
      const xj = (rows[j] as Row).x;
      let sum = 0;
      for (let f = 0; f < p; f++) sum += (prior[f] as number) * (xi[f] as number) * (xj[f] as number);
      k0[i * n + j] = sum;
      k0[j * n + i] = sum;
    }
  }
  const y = Float64Array.from(rows, (r) => r.y);
  let best: { scale: number; bias: number; l: Float64Array; logEvidence: number } | null = null;
  for (const scale of SCALES) {
    for (const bias of BIASES) {
      const k = covariance(rows, k0, scale, bias);
      const l = cholesky(k, n);
      if (!l) continue;
      const z = solveLower(l, n, y);
      let logDet = 0;
      for (let i = 0; i < n; i++) logDet += Math.log(l[i * n + i] as number);
      const logEvidence = -0.5 * dot(z, z) - logDet - 0.5 * n * Math.log(2 * Math.PI);
      if (!best || logEvidence > best.logEvidence) best = { scale, bias, l, logEvidence };
    }
  }
  if (!best) return null;
  const { scale, bias, l, logEvidence } = best;
  const s2 = scale * scale;
  /** s² D Xᵀ v: the weight-space image of an observation-space vector. */
  const weights = (v: Float64Array): Float64Array => {
    const w = new Float64Array(p);
    rows.forEach((r, i) => {
      const vi = v[i] as number;
      if (vi !== 0) for (let f = 0; f < p; f++) w[f] = (w[f] as number) + vi * (r.x[f] as number);
    });
    for (let f = 0; f < p; f++) w[f] = (w[f] as number) * s2 * (prior[f] as number);
    return w;
  };
  const mean = weights(solveCholesky(l, n, y));
  return {
    scale,
    bias,
    logEvidence,
    mean,
    predict(d) {
      const kd = Float64Array.from(rows, (r) => {
        let sum = 0;
        for (let f = 0; f < p; f++) sum += (prior[f] as number) * (d[f] as number) * (r.x[f] as number);
        return s2 * sum;
      });
      const v = solveLower(l, n, kd);
      let own = 0;
      for (let f = 0; f < p; f++) own += (prior[f] as number) * (d[f] as number) ** 2;
      return { mean: dot(d, mean), sd: Math.sqrt(Math.max(0, s2 * own - dot(v, v))) };
    },
    draw(rng) {
      // A prior draw of β, of the twin's bias γ and of the noise, then conditioned on the data.
      const beta = Float64Array.from(prior, (v) => scale * Math.sqrt(v) * rng.normal());
      const gamma = Float64Array.from(prior, (v) => bias * scale * Math.sqrt(v) * rng.normal());
      const residual = Float64Array.from(rows, (r) => r.y - dot(r.x, beta) - (r.screening ? dot(r.x, gamma) : 0) - Math.sqrt(r.se * r.se + NUGGET * NUGGET) * rng.normal());
      const w = weights(solveCholesky(l, n, residual));
      for (let f = 0; f < p; f++) w[f] = (w[f] as number) + (beta[f] as number);
      return w;
    },
  };
}

/** s² K0 + (b s)² K0 on screening pairs + the noise on the diagonal. */
function covariance(rows: readonly Row[], k0: Float64Array, scale: number, bias: number): Float64Array {
  const n = rows.length;
  const s2 = scale * scale;
  const b2 = (bias * scale) ** 2;
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = rows[i] as Row;
    for (let j = 0; j < n; j++) {
      const base = k0[i * n + j] as number;
      k[i * n + j] = s2 * base + (ri.screening && (rows[j] as Row).screening ? b2 * base : 0);
    }
    k[i * n + i] = (k[i * n + i] as number) + ri.se * ri.se + NUGGET * NUGGET + 1e-12;
  }
  return k;
}
