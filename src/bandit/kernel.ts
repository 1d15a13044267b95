import { readFileSync } from "node:fs";
import type { Logger } from "../domain/logger.js";
import { tabulable, type BanditEngine, type Posterior } from "./posterior.js";
import { twinEngine } from "./twin.js";
import { zigguratTables } from "./ziggurat.js";

/** Where `npm run build:wasm` writes the kernel (the same relative place from src/ and dist/). */
export const KERNEL_URL = new URL("../../wasm-kernels/build/bandit.wasm", import.meta.url);

const MAX_ARMS = 64;

interface KernelExports {
  memory: WebAssembly.Memory;
  alloc(bytes: number): number;
  tableAddress(which: number): number;
  betaDraws(seed: number, a: number, b: number, count: number, out: number): void;
  normalDraws(seed: number, count: number, out: number): void;
  prepareBeta(k: number, params: number, dc: number): void;
  probabilityBest(seed: number, kind: number, k: number, params: number, dc: number, draws: number, out: number): void;
  thompson(seed: number, kind: number, k: number, params: number, dc: number): number;
  topTwoShares(k: number, probabilities: number, topBeta: number, out: number): void;
  applyFloor(k: number, weights: number, floor: number): void;
  tableStride(): number;
  buildBetaTables(k: number, params: number, tables: number, scratch: number): void;
  scratchSize(): number;
  tabulatedDraws(seed: number, tables: number, count: number, out: number): void;
  probabilityBestTabulated(seed: number, k: number, tables: number, draws: number, out: number): void;
}

/** Loads the WebAssembly kernel; throws when the file is missing or does not instantiate. */
export function loadWasmEngine(url: URL = KERNEL_URL): BanditEngine {
  const module = new WebAssembly.Module(readFileSync(url));
  const k = new WebAssembly.Instance(module, {}).exports as unknown as KernelExports;
  const zig = zigguratTables();
  const params = k.alloc(MAX_ARMS * 16);
  const dc = k.alloc(MAX_ARMS * 32);
  const out = k.alloc(MAX_ARMS * 8);
  const shares = k.alloc(MAX_ARMS * 8);
  const tables = k.alloc(MAX_ARMS * k.tableStride());
  const scratch = k.alloc(k.scratchSize());
  new Uint32Array(k.memory.buffer, k.tableAddress(0), 128).set(zig.kn);
  new Float64Array(k.memory.buffer, k.tableAddress(1), 128).set(zig.wn);
  new Float64Array(k.memory.buffer, k.tableAddress(2), 128).set(zig.fn);
  let drawBuffer = 0;
  let drawCapacity = 0;

  /** Writes posteriors into kernel memory; returns the kind code (0 Beta, 1 Normal). */
  const load = (posteriors: readonly Posterior[]): number => {
    if (posteriors.length === 0 || posteriors.length > MAX_ARMS) throw new RangeError(`the kernel takes 1 to ${MAX_ARMS} arms`);
    const kind = posteriors[0]?.kind;
    if (!posteriors.every((p) => p.kind === kind)) throw new TypeError("posteriors of one call must all be Beta or all Normal");
    const view = new Float64Array(k.memory.buffer, params, posteriors.length * 2);
    posteriors.forEach((p, i) => {
      view[2 * i] = p.kind === "beta" ? p.alpha : p.mean;
      view[2 * i + 1] = p.kind === "beta" ? p.beta : p.sd;
    });
    if (kind === "beta") k.prepareBeta(posteriors.length, params, dc);
    return kind === "beta" ? 0 : 1;
  };
  const drawsInto = (count: number): number => {
    if (count > drawCapacity) {
      drawBuffer = k.alloc(count * 8);
      drawCapacity = count;
    }
    return drawBuffer;
  };
  const readOut = (n: number): number[] => Array.from(new Float64Array(k.memory.buffer, out, n));

  const loadTables = (posteriors: readonly Posterior[]): void => {
    load(posteriors);
    k.buildBetaTables(posteriors.length, params, tables, scratch);
  };

  return {
    name: "wasm",
    probabilityBest(posteriors, draws, seed) {
      if (tabulable(posteriors)) {
        loadTables(posteriors);
        k.probabilityBestTabulated(seed >>> 0, posteriors.length, tables, draws, out);
        return readOut(posteriors.length);
      }
      const kind = load(posteriors);
      k.probabilityBest(seed >>> 0, kind, posteriors.length, params, dc, draws, out);
      return readOut(posteriors.length);
    },
    topTwo(posteriors, draws, seed, topBeta) {
      this.probabilityBest(posteriors, draws, seed);
      k.topTwoShares(posteriors.length, out, topBeta, shares);
      return Array.from(new Float64Array(k.memory.buffer, shares, posteriors.length));
    },
    floor(values, floor) {
      if (values.length === 0 || values.length > MAX_ARMS) throw new RangeError(`the kernel takes 1 to ${MAX_ARMS} arms`);
      new Float64Array(k.memory.buffer, shares, values.length).set(values);
      k.applyFloor(values.length, shares, floor);
      return Array.from(new Float64Array(k.memory.buffer, shares, values.length));
    },
    thompson(posteriors, seed) {
      const kind = load(posteriors);
      return k.thompson(seed >>> 0, kind, posteriors.length, params, dc);
    },
    betaDraws(a, b, count, seed) {
      const at = drawsInto(count);
      k.betaDraws(seed >>> 0, a, b, count, at);
      return new Float64Array(k.memory.buffer, at, count);
    },
    tabulatedDraws(a, b, count, seed) {
      loadTables([{ kind: "beta", alpha: a, beta: b }]);
      const at = drawsInto(count);
      k.tabulatedDraws(seed >>> 0, tables, count, at);
      return new Float64Array(k.memory.buffer, at, count);
    },
    normalDraws(count, seed) {
      const at = drawsInto(count);
      k.normalDraws(seed >>> 0, count, at);
      return new Float64Array(k.memory.buffer, at, count);
    },
  };
}

/**
 * The kernel if it loads, else the TypeScript twin — said clearly, once, in the log: the
 * results are the same to rounding, only slower.
 */
export function loadBanditEngine(log: Logger, url: URL = KERNEL_URL): BanditEngine {
  try {
    return loadWasmEngine(url);
  } catch (error) {
    log.warn({ kernel: url.pathname, error: (error as Error).message, fallback: twinEngine.name }, "bandit kernel not loaded: using the TypeScript twin (same results, slower); run `npm run build:wasm`");
    return twinEngine;
  }
}
