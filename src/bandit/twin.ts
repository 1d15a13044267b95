import { tabulable, topTwoShares, withFloor, type BanditEngine, type Posterior } from "./posterior.js";
import { buildBetaTable, tabulatedDraw, type QuantileTable } from "./tabulated.js";
import { Xoshiro128 } from "./xoshiro.js";
import { ZIGGURAT_R, zigguratTables } from "./ziggurat.js";

/**
 * The TypeScript twin of the WebAssembly bandit kernel (wasm-kernels/assembly/bandit.ts):
 * the same generator, ziggurat tables and algorithms, operation for operation, so the
 * differential tests can compare them draw for draw, and the daemon can fall back to it.
 */
class TwinSampler {
  readonly rng: Xoshiro128;
  private readonly kn: Uint32Array;
  private readonly wn: Float64Array;
  private readonly fn: Float64Array;

  constructor(seed: number) {
    this.rng = new Xoshiro128(seed);
    ({ kn: this.kn, wn: this.wn, fn: this.fn } = zigguratTables());
  }

  uniform(): number {
    return this.rng.nextFloat();
  }

  normal(): number {
    const hz = this.rng.nextU32() | 0;
    const iz = hz & 127;
    if (Math.abs(hz) < (this.kn[iz] as number)) return hz * (this.wn[iz] as number);
    return this.normalTail(hz, iz);
  }

  private normalTail(hz0: number, iz0: number): number {
    let hz = hz0;
    let iz = iz0;
    for (;;) {
      const x = hz * (this.wn[iz] as number);
      if (iz === 0) {
        let xt = 0;
        let y = 0;
        do {
          xt = -Math.log(this.rng.nextFloat()) / ZIGGURAT_R;
          y = -Math.log(this.rng.nextFloat());
        } while (y + y < xt * xt);
        return hz > 0 ? ZIGGURAT_R + xt : -ZIGGURAT_R - xt;
      }
      const f0 = this.fn[iz] as number;
      const f1 = this.fn[iz - 1] as number;
      if (f0 + this.rng.nextFloat() * (f1 - f0) < Math.exp(-0.5 * x * x)) return x;
      hz = this.rng.nextU32() | 0;
      iz = hz & 127;
      if (Math.abs(hz) < (this.kn[iz] as number)) return hz * (this.wn[iz] as number);
    }
  }

  /** Gamma(shape ≥ 1) by Marsaglia–Tsang with d = shape − 1/3, c = 1/√(9d). */
  gammaDC(d: number, c: number): number {
    for (;;) {
      let x = 0;
      let v = 0;
      do {
        x = this.normal();
        v = 1.0 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.rng.nextFloat();
      const x2 = x * x;
      if (u < 1.0 - 0.0331 * x2 * x2) return d * v;
      if (Math.log(u) < 0.5 * x2 + d * (1.0 - v + Math.log(v))) return d * v;
    }
  }

  gamma(shape: number): number {
    if (shape < 1.0) {
      const g = this.gamma(shape + 1.0);
      let u = this.rng.nextFloat();
      while (u === 0) u = this.rng.nextFloat();
      return g * Math.pow(u, 1.0 / shape);
    }
    const d = shape - 1.0 / 3.0;
    return this.gammaDC(d, 1.0 / Math.sqrt(9.0 * d));
  }

  /** One joint draw; the index of the largest (ties: lower index). */
  jointArgmax(posteriors: readonly Posterior[], dc: Float64Array): number {
    let best = 0;
    let bestValue = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < posteriors.length; i++) {
      const p = posteriors[i] as Posterior;
      let value: number;
      if (p.kind === "normal") {
        value = p.mean + p.sd * this.normal();
      } else {
        const da = dc[4 * i] as number;
        const db = dc[4 * i + 2] as number;
        const x = da > 0 ? this.gammaDC(da, dc[4 * i + 1] as number) : this.gamma(p.alpha);
        const y = db > 0 ? this.gammaDC(db, dc[4 * i + 3] as number) : this.gamma(p.beta);
        value = x / (x + y);
      }
      if (value > bestValue) {
        bestValue = value;
        best = i;
      }
    }
    return best;
  }
}

/** Marsaglia–Tsang constants per Beta arm: (d_α, c_α, d_β, c_β); d = 0 flags a shape below 1. */
export function prepareBeta(posteriors: readonly Posterior[]): Float64Array {
  const dc = new Float64Array(4 * posteriors.length);
  posteriors.forEach((p, i) => {
    if (p.kind !== "beta") return;
    [p.alpha, p.beta].forEach((shape, j) => {
      if (shape >= 1.0) {
        const d = shape - 1.0 / 3.0;
        dc[4 * i + 2 * j] = d;
        dc[4 * i + 2 * j + 1] = 1.0 / Math.sqrt(9.0 * d);
      }
    });
  });
  return dc;
}

function tabulatedArgmax(tables: readonly QuantileTable[], rng: Xoshiro128): number {
  let best = 0;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < tables.length; i++) {
    const value = tabulatedDraw(tables[i] as QuantileTable, rng);
    if (value > bestValue) {
      bestValue = value;
      best = i;
    }
  }
  return best;
}

function tablesOf(posteriors: readonly Posterior[]): QuantileTable[] {
  return posteriors.map((p) => (p.kind === "beta" ? buildBetaTable(p.alpha, p.beta) : buildBetaTable(1, 1)));
}

export const twinEngine: BanditEngine = {
  name: "typescript-twin",
  probabilityBest(posteriors, draws, seed) {
    if (tabulable(posteriors)) {
      const tables = tablesOf(posteriors);
      const rng = new Xoshiro128(seed);
      const wins = new Float64Array(posteriors.length);
      for (let d = 0; d < draws; d++) {
        const best = tabulatedArgmax(tables, rng);
        wins[best] = (wins[best] as number) + 1;
      }
      return Array.from(wins, (w) => w / draws);
    }
    const s = new TwinSampler(seed);
    const dc = prepareBeta(posteriors);
    const wins = new Float64Array(posteriors.length);
    for (let d = 0; d < draws; d++) {
      const best = s.jointArgmax(posteriors, dc);
      wins[best] = (wins[best] as number) + 1;
    }
    return Array.from(wins, (w) => w / draws);
  },
  topTwo(posteriors, draws, seed, topBeta) {
    return topTwoShares(this.probabilityBest(posteriors, draws, seed), topBeta);
  },
  floor: withFloor,
  thompson(posteriors, seed) {
    return new TwinSampler(seed).jointArgmax(posteriors, prepareBeta(posteriors));
  },
  betaDraws(a, b, count, seed) {
    const s = new TwinSampler(seed);
    const out = new Float64Array(count);
    if (a >= 1 && b >= 1) {
      const da = a - 1.0 / 3.0;
      const ca = 1.0 / Math.sqrt(9.0 * da);
      const db = b - 1.0 / 3.0;
      const cb = 1.0 / Math.sqrt(9.0 * db);
      for (let i = 0; i < count; i++) {
        const x = s.gammaDC(da, ca);
        const y = s.gammaDC(db, cb);
        out[i] = x / (x + y);
      }
    } else {
      for (let i = 0; i < count; i++) {
        const x = s.gamma(a);
        const y = s.gamma(b);
        out[i] = x / (x + y);
      }
    }
    return out;
  },
  normalDraws(count, seed) {
    const s = new TwinSampler(seed);
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = s.normal();
    return out;
  },
  tabulatedDraws(a, b, count, seed) {
    const table = buildBetaTable(a, b);
    const rng = new Xoshiro128(seed);
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = tabulatedDraw(table, rng);
    return out;
  },
};
