/**
 * Bandit kernel benchmark, all figures from one run on this machine:
 *   - Beta draws per second: the WebAssembly kernel, its TypeScript twin, and jstat's
 *     beta.sample (the library baseline), all exact Marsaglia–Tsang-style samplers;
 *   - probability-to-be-best of 10 Beta arms × 100,000 joint draws (kernel and twin).
 * Each figure is the best of several timed repetitions after a warm-up (V8 runs a wasm
 * function's first call in its baseline compiler).
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
const REPEATS = 7;

function best(fn: (repeat: number) => void): number {
  fn(-1); // warm-up
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
const arms: Posterior[] = Array.from({ length: 10 }, (_, i) => ({ kind: "beta", alpha: 100 + 3 * i, beta: 900 - 3 * i }));
const pBestWasmMs = best((r) => wasm.probabilityBest(arms, 100_000, r + 1));
const pBestTwinMs = best((r) => twinEngine.probabilityBest(arms, 100_000, r + 1));

const result = {
  wasmDrawsPerSec: Math.round((DRAWS / wasmMs) * 1000),
  twinDrawsPerSec: Math.round((DRAWS / twinMs) * 1000),
  jstatDrawsPerSec: Math.round((jstatDraws / jstatMs) * 1000),
  wasmOverJstat: (DRAWS / wasmMs) / (jstatDraws / jstatMs),
  wasmOverTwin: twinMs / wasmMs,
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
  console.log(`probability to be best, 10 arms × 100,000 draws`);
  console.log(`  wasm kernel        ${pBestWasmMs.toFixed(2)} ms (target < 10 ms)`);
  console.log(`  TypeScript twin    ${pBestTwinMs.toFixed(2)} ms`);
}
