/**
 * Bandit kernel benchmark, all figures from one run on this machine:
 *   - exact Beta draws per second (Marsaglia–Tsang): the WebAssembly kernel, its TypeScript
 *     twin, and jstat's beta.sample (the library baseline);
 *   - draws per second from the tabulated quantile function (kernel and twin);
 *   - probability-to-be-best of 10 Beta arms × 100,000 joint draws (kernel and twin).
 * Each figure is the best of 9 timed repetitions after 3 warm-up calls (V8 runs a wasm
 * function's first calls in its baseline compiler).
 *
 *   npm run bench:kernel            # table
 *   npm run bench:kernel -- --json  # {"wasmDrawsPerSec":…,"twinDrawsPerSec":…,"jstatDrawsPerSec":…,…}
 */
import jStat from "jstat";
import { loadWasmEngine } from "../../src/bandit/kernel.js";
import type { Posterior } from "../../src/bandit/posterior.js";
import { twinEngine } from "../../src/bandit/twin.js";

const json = process.argv.includes("--json");
const A = 101;
const B = 901;
const DRAWS = 1_000_000;
const REPEATS = 9;
const WARM_UPS = 3;

function best(fn: (repeat: number) => void): number {
  // V8 runs a wasm function's first calls in its baseline compiler and swaps in optimised
  // code when a background compile finishes: warm up, then take the best of the repeats.
  for (let w = 0; w < WARM_UPS; w++) fn(-1 - w);
  let fastest = Number.POSITIVE_INFINITY;
  for (let r = 0; r < REPEATS; r++) {
    const start = performance.now();
    fn(r);
    fastest = Math.min(fastest, performance.now() - start);
  }
  return fastest;
}

const wasm = loadWasmEngine();
const wasmMs = best((r) => wasm.betaDraws(A, B, DRAWS, r + 1));
const twinMs = best((r) => twinEngine.betaDraws(A, B, DRAWS, r + 1));
const jstatDraws = DRAWS / 4; // jstat is slow: fewer draws, same rate
let sink = 0;
const jstatMs = best(() => {
  for (let i = 0; i < jstatDraws; i++) sink += jStat.beta.sample(A, B);
});
const wasmTabulatedMs = best((r) => wasm.tabulatedDraws(A, B, DRAWS, r + 1));
const twinTabulatedMs = best((r) => twinEngine.tabulatedDraws(A, B, DRAWS, r + 1));
const arms: Posterior[] = Array.from({ length: 10 }, (_, i) => ({ kind: "beta", alpha: 100 + 3 * i, beta: 900 - 3 * i }));
const pBestWasmMs = best((r) => wasm.probabilityBest(arms, 100_000, r + 1));
const pBestTwinMs = best((r) => twinEngine.probabilityBest(arms, 100_000, r + 1));

const result = {
  wasmDrawsPerSec: Math.round((DRAWS / wasmMs) * 1000),
  twinDrawsPerSec: Math.round((DRAWS / twinMs) * 1000),
  jstatDrawsPerSec: Math.round((jstatDraws / jstatMs) * 1000),
  wasmOverJstat: (DRAWS / wasmMs) / (jstatDraws / jstatMs),
  wasmOverTwin: twinMs / wasmMs,
  wasmTabulatedDrawsPerSec: Math.round((DRAWS / wasmTabulatedMs) * 1000),
  twinTabulatedDrawsPerSec: Math.round((DRAWS / twinTabulatedMs) * 1000),
  probabilityBest10x100kMs: pBestWasmMs,
  probabilityBest10x100kTwinMs: pBestTwinMs,
  beta: [A, B],
  node: process.version,
};
if (sink === 42) console.error(""); // keep jstat's loop from being optimised away
if (json) process.stdout.write(JSON.stringify(result, null, 2) + "\n");
else {
  const rate = (x: number) => `${(x / 1e6).toFixed(1)} M/s`;
  console.log(`Beta(${A}, ${B}) draws, best of ${REPEATS} after a warm-up (${process.version})`);
  console.log(`  wasm kernel        ${rate(result.wasmDrawsPerSec)}`);
  console.log(`  TypeScript twin    ${rate(result.twinDrawsPerSec)}   wasm ${result.wasmOverTwin.toFixed(1)}× faster (target ≥ 2×)`);
  console.log(`  jstat beta.sample  ${rate(result.jstatDrawsPerSec)}   wasm ${result.wasmOverJstat.toFixed(1)}× faster (target ≥ 10×)`);
  console.log(`Beta(${A}, ${B}) from the tabulated quantile function (what probability to be best draws)`);
  console.log(`  wasm kernel        ${rate(result.wasmTabulatedDrawsPerSec)}`);
  console.log(`  TypeScript twin    ${rate(result.twinTabulatedDrawsPerSec)}   wasm ${(result.wasmTabulatedDrawsPerSec / result.twinTabulatedDrawsPerSec).toFixed(1)}× faster`);
  console.log(`probability to be best, 10 arms × 100,000 draws`);
  console.log(`  wasm kernel        ${pBestWasmMs.toFixed(2)} ms (target < 10 ms)`);
  console.log(`  TypeScript twin    ${pBestTwinMs.toFixed(2)} ms`);
}
