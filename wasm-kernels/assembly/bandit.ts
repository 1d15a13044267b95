// evolvd bandit kernel: Thompson sampling and probability-to-be-best, in AssemblyScript.
//
// Its TypeScript twin is src/bandit/twin.ts: the same generator (four interleaved xoshiro128**
// seeded by splitmix32), the same ziggurat normal (tables computed by the host and copied in, so both
// use identical tables), the same Marsaglia–Tsang gamma, operation for operation, so a seed
// gives the same draws in both (to the last-bit rounding of log/sqrt/pow).
//
// Memory: the host calls alloc() once for its buffers; the hot loops allocate nothing.
// Arm parameters are f64 pairs (alpha, beta) for Beta posteriors or (mean, sd) for normal ones.

// ── generator ────────────────────────────────────────────────────────────────────────────
// Four xoshiro128** generators run side by side in one SIMD vector per state word, and their
// outputs interleave round-robin: output 4k + j is generator j's k-th. splitmix32 from the seed
// gives the 16 state words, generator j taking words 4j…4j+3. The twin (src/bandit/xoshiro.ts)
// steps four scalar generators in the same order, so both produce the same stream.
//
// refill() writes BUFFERED outputs at a time; draws read them in order. State and buffer
// position live in linear memory at constant addresses, which V8 reaches in one load (a wasm
// global takes two).
const STATE: usize = memory.data(64, 16); // four v128 state words
const COUNTERS: usize = memory.data(8); // splitmix counter, buffer position
// @ts-ignore: decorator
@inline function getPosition(): u32 {
  return load<u32>(COUNTERS + 4);
}
// @ts-ignore: decorator
@inline function setPosition(value: u32): void {
  store<u32>(COUNTERS + 4, value);
}

function splitmix(): u32 {
  const counter = load<u32>(COUNTERS) + 0x9e3779b9;
  store<u32>(COUNTERS, counter);
  let z = counter;
  z = (z ^ (z >>> 16)) * 0x85ebca6b;
  z = (z ^ (z >>> 13)) * 0xc2b2ae35;
  return z ^ (z >>> 16);
}

/** Seeds the generator; every entry point that draws takes a seed and calls this first. */
export function seed(value: u32): void {
  store<u32>(COUNTERS, value);
  // Word w of generator j goes to lane j of state vector w.
  for (let j: usize = 0; j < 4; j++) for (let w: usize = 0; w < 4; w++) store<u32>(STATE + (w << 4) + (j << 2), splitmix());
  setPosition(BUFFERED);
}

const BUFFERED: u32 = 1024;
const buffer: usize = memory.data(BUFFERED * 4, 16);

function refill(): void {
  let a = v128.load(STATE);
  let b = v128.load(STATE + 16);
  let c = v128.load(STATE + 32);
  let d = v128.load(STATE + 48);
  const five = i32x4.splat(5);
  const nine = i32x4.splat(9);
  for (let i: usize = 0; i < <usize>BUFFERED; i += 4) {
    const m = i32x4.mul(b, five);
    const r = v128.or(i32x4.shl(m, 7), i32x4.shr_u(m, 25));
    v128.store(buffer + (i << 2), i32x4.mul(r, nine));
    const t = i32x4.shl(b, 9);
    c = v128.xor(c, a);
    d = v128.xor(d, b);
    b = v128.xor(b, c);
    a = v128.xor(a, d);
    c = v128.xor(c, t);
    d = v128.or(i32x4.shl(d, 11), i32x4.shr_u(d, 21));
  }
  v128.store(STATE, a);
  v128.store(STATE + 16, b);
  v128.store(STATE + 32, c);
  v128.store(STATE + 48, d);
  setPosition(0);
}

// @ts-ignore: decorator
@inline function nextU32(): u32 {
  let position = getPosition();
  if (position == BUFFERED) {
    refill();
    position = 0;
  }
  setPosition(position + 1);
  return load<u32>(buffer + (<usize>position << 2));
}

// @ts-ignore: decorator
@inline function nextFloat(): f64 {
  return <f64>nextU32() * 2.3283064365386963e-10;
}

// ── ziggurat normal (Marsaglia & Tsang 2000, 128 layers) ─────────────────────────────────
// Static regions, so every lookup is a constant-offset load. The host computes the tables
// once and copies them to the addresses tableAddresses() reports.
const KN: usize = memory.data(128 * 4); // u32[128]
const WN: usize = memory.data(128 * 8); // f64[128]
const FN: usize = memory.data(128 * 8); // f64[128]
const ZIGGURAT_R: f64 = 3.442619855899;

/** Where the host writes the ziggurat tables: KN, WN, FN (one call per address). */
export function tableAddress(which: i32): usize {
  return which == 0 ? KN : which == 1 ? WN : FN;
}

// @ts-ignore: decorator
@inline function normal(): f64 {
  const hz = <i32>nextU32();
  const iz = hz & 127;
  if (<u32>abs<i32>(hz) < load<u32>(KN + (<usize>iz << 2))) return <f64>hz * load<f64>(WN + (<usize>iz << 3));
  return normalTail(hz, iz);
}

function normalTail(hz0: i32, iz0: i32): f64 {
  let hz = hz0;
  let iz = iz0;
  for (;;) {
    const x = <f64>hz * load<f64>(WN + (<usize>iz << 3));
    if (iz == 0) {
      let xt: f64 = 0;
      let y: f64 = 0;
      do {
        xt = -Math.log(nextFloat()) / ZIGGURAT_R;
        y = -Math.log(nextFloat());
      } while (y + y < xt * xt);
      return hz > 0 ? ZIGGURAT_R + xt : -ZIGGURAT_R - xt;
    }
    const f0 = load<f64>(FN + (<usize>iz << 3));
    const f1 = load<f64>(FN + ((<usize>iz - 1) << 3));
    if (f0 + nextFloat() * (f1 - f0) < Math.exp(-0.5 * x * x)) return x;
    hz = <i32>nextU32();
    iz = hz & 127;
    if (<u32>abs<i32>(hz) < load<u32>(KN + (<usize>iz << 2))) return <f64>hz * load<f64>(WN + (<usize>iz << 3));
  }
  return 0; // not reached: AssemblyScript wants a return after an endless loop
}

// ── gamma and beta ───────────────────────────────────────────────────────────────────────

/** Gamma(shape ≥ 1) by Marsaglia–Tsang, with d = shape − 1/3 and c = 1/√(9d) precomputed. */
// @ts-ignore: decorator
@inline function gammaDC(d: f64, c: f64): f64 {
  for (;;) {
    let x: f64 = 0;
    let v: f64 = 0;
    do {
      x = normal();
      v = 1.0 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = nextFloat();
    const x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2) return d * v;
    if (Math.log(u) < 0.5 * x2 + d * (1.0 - v + Math.log(v))) return d * v;
  }
  return 0; // not reached
}

function gamma(shape: f64): f64 {
  if (shape < 1.0) {
    const g = gamma(shape + 1.0);
    let u = nextFloat();
    while (u == 0) u = nextFloat();
    return g * Math.pow(u, 1.0 / shape);
  }
  const d = shape - 1.0 / 3.0;
  return gammaDC(d, 1.0 / Math.sqrt(9.0 * d));
}

/** One Beta(a, b) draw as X/(X+Y). */
// @ts-ignore: decorator
@inline function betaDraw(a: f64, b: f64): f64 {
  const x = gamma(a);
  const y = gamma(b);
  return x / (x + y);
}

// ── entry points ─────────────────────────────────────────────────────────────────────────

/** Bump allocation for the host's buffers (the stub runtime never frees). */
export function alloc(bytes: usize): usize {
  return heap.alloc(bytes);
}

/** Fills `out` with `count` Beta(a, b) draws (benchmarks and differential tests). */
export function betaDraws(seedValue: u32, a: f64, b: f64, count: i32, out: usize): void {
  seed(seedValue);
  if (a >= 1.0 && b >= 1.0) {
    const da = a - 1.0 / 3.0;
    const ca = 1.0 / Math.sqrt(9.0 * da);
    const db = b - 1.0 / 3.0;
    const cb = 1.0 / Math.sqrt(9.0 * db);
    for (let i = 0; i < count; i++) {
      const x = gammaDC(da, ca);
      const y = gammaDC(db, cb);
      store<f64>(out + (<usize>i << 3), x / (x + y));
    }
  } else {
    for (let i = 0; i < count; i++) store<f64>(out + (<usize>i << 3), betaDraw(a, b));
  }
}

/** Fills `out` with `count` standard normal draws. */
export function normalDraws(seedValue: u32, count: i32, out: usize): void {
  seed(seedValue);
  for (let i = 0; i < count; i++) store<f64>(out + (<usize>i << 3), normal());
}

/**
 * One joint draw of every arm into `scratch`; returns the index of the largest (ties: lower).
 * kind 0: Beta(alpha, beta) with precomputed (d, c) per parameter in `dc` (4 f64 per arm,
 * d = 0 marks shape < 1); kind 1: Normal(mean, sd) from `params`.
 */
function jointArgmax(kind: i32, k: i32, params: usize, dc: usize): i32 {
  let best = 0;
  let bestValue: f64 = -Infinity;
  for (let i = 0; i < k; i++) {
    let value: f64;
    if (kind == 1) {
      value = load<f64>(params + (<usize>i << 4)) + load<f64>(params + (<usize>i << 4) + 8) * normal();
    } else {
      const base = dc + (<usize>i << 5);
      const da = load<f64>(base);
      const db = load<f64>(base + 16);
      const x = da > 0 ? gammaDC(da, load<f64>(base + 8)) : gamma(load<f64>(params + (<usize>i << 4)));
      const y = db > 0 ? gammaDC(db, load<f64>(base + 24)) : gamma(load<f64>(params + (<usize>i << 4) + 8));
      value = x / (x + y);
    }
    if (value > bestValue) {
      bestValue = value;
      best = i;
    }
  }
  return best;
}

/** Precomputes Marsaglia–Tsang constants for Beta arms (d = 0 flags a shape below 1). */
export function prepareBeta(k: i32, params: usize, dc: usize): void {
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < 2; j++) {
      const shape = load<f64>(params + (<usize>i << 4) + (<usize>j << 3));
      const base = dc + (<usize>i << 5) + (<usize>j << 4);
      if (shape >= 1.0) {
        const d = shape - 1.0 / 3.0;
        store<f64>(base, d);
        store<f64>(base + 8, 1.0 / Math.sqrt(9.0 * d));
      } else {
        store<f64>(base, 0);
        store<f64>(base + 8, 0);
      }
    }
  }
}

/**
 * Monte-Carlo probability that each of `k` arms is best over `draws` joint draws; writes k
 * f64 to `out`. Call prepareBeta first for kind 0.
 */
export function probabilityBest(seedValue: u32, kind: i32, k: i32, params: usize, dc: usize, draws: i32, out: usize): void {
  seed(seedValue);
  for (let i = 0; i < k; i++) store<f64>(out + (<usize>i << 3), 0);
  for (let d = 0; d < draws; d++) {
    const best = jointArgmax(kind, k, params, dc);
    const at = out + (<usize>best << 3);
    store<f64>(at, load<f64>(at) + 1);
  }
  for (let i = 0; i < k; i++) store<f64>(out + (<usize>i << 3), load<f64>(out + (<usize>i << 3)) / <f64>draws);
}

/** A single Thompson draw: the arm whose posterior draw is largest. */
export function thompson(seedValue: u32, kind: i32, k: i32, params: usize, dc: usize): i32 {
  seed(seedValue);
  return jointArgmax(kind, k, params, dc);
}

/**
 * Top-two Thompson sampling shares (Russo 2016) from probabilities to be best p: the leader
 * drawn is served with probability topBeta; otherwise a fresh draw is repeated until another
 * arm leads, which is arm i with probability p_i / (1 − p_j) given leader j. So
 *   share_i = topBeta·p_i + (1 − topBeta)·Σ_{j≠i} p_j·p_i/(1 − p_j),
 * exactly, with no resampling loop (which a dominant leader makes very long). A leader with
 * p_j = 1 keeps its challenger mass. Reads k f64 from `probabilities`, writes k f64 to `out`.
 */
export function topTwoShares(k: i32, probabilities: usize, topBeta: f64, out: usize): void {
  for (let i = 0; i < k; i++) store<f64>(out + (<usize>i << 3), topBeta * load<f64>(probabilities + (<usize>i << 3)));
  for (let j = 0; j < k; j++) {
    const pj = load<f64>(probabilities + (<usize>j << 3));
    const challengerMass = (1.0 - topBeta) * pj;
    const rest = 1.0 - pj;
    if (rest <= 1e-12) {
      const at = out + (<usize>j << 3);
      store<f64>(at, load<f64>(at) + challengerMass);
      continue;
    }
    for (let i = 0; i < k; i++) {
      if (i == j) continue;
      const at = out + (<usize>i << 3);
      store<f64>(at, load<f64>(at) + (challengerMass * load<f64>(probabilities + (<usize>i << 3))) / rest);
    }
  }
}

/** Weights with a per-arm floor: w = floor + (1 − k·floor)·p. In place. */
export function applyFloor(k: i32, weights: usize, floor: f64): void {
  const free = 1.0 - <f64>k * floor;
  for (let i = 0; i < k; i++) {
    const at = weights + (<usize>i << 3);
    store<f64>(at, floor + free * load<f64>(at));
  }
}

// ── tabulated Beta posteriors for Monte-Carlo probability-to-be-best ─────────────────────
//
// A probability-to-be-best estimate needs draws × arms posterior draws (10 × 100,000 in the
// benchmark); two Marsaglia–Tsang gammas per Beta draw cost ~40 ns here. Instead each arm's
// quantile function is tabulated once at QUANTILES + 1 equally spaced probabilities, and a draw
// is an inverse-transform sample: one uniform, two loads, one interpolation, no branch.
// Building a table integrates the density with Simpson's rule on GRID knots over mean ± 12 sd
// and inverts that CDF. The sampled CDF is within 1e-4 of the exact one, and within one bin's
// mass (1/2048) in the two outermost bins (checked by the tests): well below the Monte-Carlo
// error of 100,000 draws (~1.6e-3). Layout per arm: Q f32[QUANTILES + 1] (f32 halves the cache footprint; its 6e-8
// resolution is far finer than the Monte-Carlo error); `scratch` holds one CDF of GRID f64.

const GRID: i32 = 1024;
const QUANTILES: i32 = 2048; // = 2^11: quantileAt takes the knot from 11 bits
const HALF_RANGE_SD: f64 = 12.0;

const STRIDE: usize = (QUANTILES + 1) * 4;

/** Bytes per arm in the tables region. */
export function tableStride(): i32 {
  return <i32>STRIDE;
}

/** Bytes of scratch space buildBetaTables needs. */
export function scratchSize(): i32 {
  return GRID * 8;
}

/** Builds the quantile tables of k Beta(alpha, beta) arms (alpha, beta ≥ 1). */
export function buildBetaTables(k: i32, params: usize, tables: usize, scratch: usize): void {
  const stride = <usize>tableStride();
  for (let i = 0; i < k; i++) {
    const a = load<f64>(params + (<usize>i << 4));
    const b = load<f64>(params + (<usize>i << 4) + 8);
    const mean = a / (a + b);
    const sd = Math.sqrt((a * b) / ((a + b) * (a + b) * (a + b + 1.0)));
    const lo = Math.max(0.0, mean - HALF_RANGE_SD * sd);
    const hi = Math.min(1.0, mean + HALF_RANGE_SD * sd);
    const h = (hi - lo) / <f64>(GRID - 1);
    // Log-density relative to the mode's, so exp never overflows.
    const mode = a + b > 2.0 ? (a - 1.0) / (a + b - 2.0) : 0.5;
    const logMax = logDensity(a, b, Math.min(hi, Math.max(lo, mode)));
    let previous = Math.exp(logDensity(a, b, lo) - logMax);
    let total: f64 = 0;
    store<f64>(scratch, 0);
    for (let j = 1; j < GRID; j++) {
      const x = lo + <f64>j * h;
      const middle = Math.exp(logDensity(a, b, x - 0.5 * h) - logMax);
      const density = Math.exp(logDensity(a, b, x) - logMax);
      total += (h / 6.0) * (previous + 4.0 * middle + density);
      store<f64>(scratch + (<usize>j << 3), total);
      previous = density;
    }
    // Invert the CDF (linear between knots) at m / QUANTILES.
    const q = tables + <usize>i * stride;
    store<f32>(q, <f32>lo);
    store<f32>(q + (<usize>QUANTILES << 2), <f32>hi);
    let j = 0;
    for (let m = 1; m < QUANTILES; m++) {
      const target = (<f64>m / <f64>QUANTILES) * total;
      while (j < GRID - 2 && load<f64>(scratch + (<usize>(j + 1) << 3)) <= target) j++;
      const c0 = load<f64>(scratch + (<usize>j << 3));
      const c1 = load<f64>(scratch + (<usize>(j + 1) << 3));
      const within = c1 > c0 ? (target - c0) / (c1 - c0) : 0.0;
      store<f32>(q + (<usize>m << 2), <f32>(lo + (<f64>j + within) * h));
    }
  }
}

// @ts-ignore: decorator
@inline function logDensity(a: f64, b: f64, x: f64): f64 {
  // (a−1)·ln x + (b−1)·ln(1−x), with 0·ln 0 taken as 0 (uniform edges).
  const left = a == 1.0 ? 0.0 : (a - 1.0) * Math.log(x);
  const right = b == 1.0 ? 0.0 : (b - 1.0) * Math.log(1.0 - x);
  return left + right;
}

/**
 * Inverse-transform draw from a quantile table for the 32-bit uniform r: the top 11 bits pick
 * the knot (QUANTILES = 2^11), the low 21 bits interpolate. Integer arithmetic, exact, and
 * several times faster than converting r/2^32 · QUANTILES back to an index.
 */
// @ts-ignore: decorator
@inline function quantileAt(q: usize, r: u32): f64 {
  const at = q + (<usize>(r >>> 21) << 2);
  const q0 = <f64>load<f32>(at);
  const q1 = <f64>load<f32>(at + 4);
  return q0 + <f64>(r & 0x1fffff) * 4.76837158203125e-7 * (q1 - q0);
}

// @ts-ignore: decorator
@inline function tabulatedDraw(q: usize): f64 {
  return quantileAt(q, nextU32());
}

/** Fills `out` with `count` draws from arm 0's table (differential tests). */
export function tabulatedDraws(seedValue: u32, tables: usize, count: i32, out: usize): void {
  seed(seedValue);
  for (let i = 0; i < count; i++) store<f64>(out + (<usize>i << 3), tabulatedDraw(tables));
}

/** Probability to be best of k tabulated Beta arms over `draws` joint draws. */
export function probabilityBestTabulated(seedValue: u32, k: i32, tables: usize, draws: i32, out: usize): void {
  seed(seedValue);
  for (let i = 0; i < k; i++) store<f64>(out + (<usize>i << 3), 0);
  countBest(k, tables, draws, out);
  for (let i = 0; i < k; i++) store<f64>(out + (<usize>i << 3), load<f64>(out + (<usize>i << 3)) / <f64>draws);
}

/**
 * The hot loop, kept in a function of its own with the generator state in locals (the same
 * stream as nextU32, unbuffered): V8 allocates registers per function, and this one has
 * nothing else to hold.
 */
// @ts-ignore: decorator
@inline(never) function countBest(k: i32, tables: usize, draws: i32, out: usize): void {
  // The buffer position in a local: this loop is the hottest in evolvd.
  let position = getPosition();
  for (let d = 0; d < draws; d++) {
    let best = 0;
    // Draws are in [0, 1], where IEEE-754 order is integer order of the bits: comparing and
    // selecting integers lets V8 emit conditional moves (it lowers an f64 select to a branch,
    // and which arm wins is a coin flip no predictor learns). Same result as comparing f64s.
    let bestBits: i64 = -1;
    let q = tables;
    for (let i = 0; i < k; i++) {
      if (position == BUFFERED) {
        refill();
        position = 0;
      }
      const r = load<u32>(buffer + (<usize>position << 2));
      position++;
      const bits = reinterpret<i64>(quantileAt(q, r));
      q += STRIDE;
      const better = bits > bestBits;
      best = select<i32>(i, best, better);
      bestBits = select<i64>(bits, bestBits, better);
    }
    const at = out + (<usize>best << 3);
    store<f64>(at, load<f64>(at) + 1);
  }
  setPosition(position);
}
