/**
 * WebAssembly components (docs/components.md), all figures from one run on this machine
 * (issue: a swap with state of a ≤ 100 KB module, once cached, ≤ 1 ms p50 in Node):
 *   - swap with state between two cached variants (load from the cache, instantiate, capture,
 *     initialize, check, activate): p50, p95 and p99 over 2,000 swaps, alternating variants,
 *     once between ~1 KB modules and once with a ~100 KB one (a 96 KB data segment);
 *   - a call through the interface (ComponentSlot.call, the canonical ABI's lowering and
 *     lifting), the bare WebAssembly export, and a direct JavaScript call of the same function
 *     over the same state (the named baseline), 2,000,000 calls each, best of 7.
 *
 *   npm run bench:components            # table
 *   npm run bench:components -- --json  # {"swapP50Ms":…,"largeSwapP50Ms":…,"interfaceCallNs":…,"exportCallNs":…,"jsCallNs":…,…}
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ComponentRegistry } from "../../src/sdk/components/registry.js";
import { ComponentSlot } from "../../src/sdk/components/slot.js";
import { ROOT } from "../../tests/helpers.js";
import { u32 } from "../../tests/unit/components/tiny-wasm.js";

const json = process.argv.includes("--json");
const SWAPS = 2000;
const CALLS = 2_000_000;
const bytesOf = (name: string) => new Uint8Array(readFileSync(join(ROOT, "components", "build", `${name}.wasm`)));

/**
 * A module of about 100 KB: `bytes` with a 96 KB active data segment (a table of weights, as a
 * model-carrying variant would have) placed above the module's own memory use, and its memory
 * grown to hold it. Instantiation copies the segment in: the size is paid on every swap.
 */
function withDataSegment(bytes: Uint8Array, size: number): Uint8Array {
  const leb = u32;
  const read = (at: number): [number, number] => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[at++] as number;
      value |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return [value, at];
    }
  };
  const parts: number[] = [...bytes.subarray(0, 8)];
  for (let at = 8; at < bytes.length; ) {
    const id = bytes[at] as number;
    const [length, body] = read(at + 1);
    if (id === 11 || id === 12) throw new Error("the module has data segments already");
    // The memory section: one memory of at least 4 pages (256 KB), the segment at 128 KB.
    if (id === 5) parts.push(5, 3, 1, 0, 4);
    else parts.push(...bytes.subarray(at, body + length));
    at = body + length;
  }
  const table = Array.from({ length: size }, (_, i) => (i * 2654435761) >>> 24);
  const offset = [0x41, ...leb(131072).map((b, i, all) => (i === all.length - 1 ? b & 0x7f : b)), 0x0b];
  // i32.const takes a signed LEB128: 131072 needs a zero sign bit in its last byte, which it has.
  const segment = [1, 0, ...offset, ...leb(size), ...table];
  parts.push(11, ...leb(segment.length), ...segment);
  return Uint8Array.from(parts);
}

const registry = new ComponentRegistry();
const world = registry.define("recommender", readFileSync(join(ROOT, "components", "wit", "recommender.wit"), "utf8"));
const variants: { name: string; bytes: Uint8Array }[] = ["popularity", "shrunk", "explore"].map((name) => ({ name, bytes: bytesOf(name) }));
variants.push({ name: "popularity+96KB", bytes: withDataSegment(bytesOf("popularity"), 96 * 1024) });
const versions: string[] = [];
for (const v of variants) versions.push((await registry.register("recommender", v.bytes, { name: v.name })).version);
const slot = new ComponentSlot("recommender", world, () => performance.now());
const swap = (version: string) => slot.swap(version, () => registry.module("recommender", version));
await swap(versions[0] as string);
// A learned state to carry: every item seen.
for (let i = 0; i < 100_000; i++) slot.call("observe", i % 256, i % 7 === 0);

/** Swaps alternating between two versions; the sorted times (ms) and how many kept the state. */
async function swaps(a: string, b: string): Promise<{ times: number[]; preserved: number }> {
  for (let i = 0; i < 200; i++) await swap(i % 2 ? a : b);
  const times: number[] = [];
  let preserved = 0;
  for (let i = 0; i < SWAPS; i++) {
    const report = await swap(i % 2 ? a : b);
    if (report.reverted) throw new Error(`swap ${i} reverted: ${report.error}`);
    if (report.statePreserved) preserved++;
    times.push(report.ms);
  }
  return { times: times.sort((x, y) => x - y), preserved };
}
const pct = (times: number[], p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))] as number;
const small = await swaps(versions[0] as string, versions[1] as string);
const large = await swaps(versions[3] as string, versions[1] as string);
const preserved = small.preserved + large.preserved;

// Calls: popularity's score through the interface, the raw export, and the same function in JavaScript.
await swap(versions[0] as string);
const instance = slot.active!;
const raw = (instance as unknown as { exports: Record<string, (a: number, b: number) => number> }).exports["evolvd:recommender/scorer@0.1.0#score"] as (a: number, b: number) => number;
const state = instance.capture();
const view = new DataView(state.buffer, state.byteOffset);
const shown = new Uint32Array(256);
const clicked = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  shown[i] = view.getUint32(16 + 4 * i, true);
  clicked[i] = view.getUint32(16 + 1024 + 4 * i, true);
}
const jsScore = (item: number, _segment: number): number => (item >= 256 ? 0 : ((clicked[item] as number) + 1) / ((shown[item] as number) + 2));
let sink = 0;
function best(fn: () => void): number {
  for (let w = 0; w < 2; w++) fn();
  let fastest = Infinity;
  for (let r = 0; r < 7; r++) {
    const start = performance.now();
    fn();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return (fastest * 1e6) / CALLS;
}
const interfaceCallNs = best(() => {
  for (let i = 0; i < CALLS; i++) sink += slot.call("score", i & 255, i & 3) as number;
});
const instanceCallNs = best(() => {
  for (let i = 0; i < CALLS; i++) sink += instance.call("score", [i & 255, i & 3]) as number;
});
const exportCallNs = best(() => {
  for (let i = 0; i < CALLS; i++) sink += raw(i & 255, i & 3);
});
const jsCallNs = best(() => {
  for (let i = 0; i < CALLS; i++) sink += jsScore(i & 255, i & 3);
});
if (!(sink > 0)) throw new Error("the calls computed nothing");
// The same answers: the interface returns what the JavaScript twin computes.
for (let i = 0; i < 256; i++) if (slot.call("score", i, 0) !== jsScore(i, 0)) throw new Error(`score(${i}) differs between the module and its JavaScript twin`);

const result = {
  node: process.version,
  moduleBytes: Object.fromEntries(variants.map((v) => [v.name, v.bytes.length])),
  stateBytes: state.length,
  swaps: SWAPS,
  statePreserved: preserved,
  swapP50Ms: pct(small.times, 0.5),
  swapP95Ms: pct(small.times, 0.95),
  swapP99Ms: pct(small.times, 0.99),
  largeSwapP50Ms: pct(large.times, 0.5),
  largeSwapP95Ms: pct(large.times, 0.95),
  largeSwapP99Ms: pct(large.times, 0.99),
  calls: CALLS,
  interfaceCallNs,
  instanceCallNs,
  exportCallNs,
  jsCallNs,
};
if (json) console.log(JSON.stringify(result));
else {
  const ms = (x: number) => `${(x * 1000).toFixed(1)} µs`;
  const ns = (x: number) => `${x.toFixed(1)} ns`;
  console.log(`Components: ${SWAPS} swaps with a ${state.length}-byte state between cached variants (${variants.map((v) => `${v.name} ${v.bytes.length} B`).join(", ")}); ${CALLS.toLocaleString("en")} calls each, best of 7`);
  console.log(`  swap with state, cached, popularity ⇄ shrunk (~1 KB)        p50 ${ms(result.swapP50Ms)}   p95 ${ms(result.swapP95Ms)}   p99 ${ms(result.swapP99Ms)}`);
  console.log(`  swap with state, cached, popularity+96KB ⇄ shrunk (${variants[3]?.bytes.length} B) p50 ${ms(result.largeSwapP50Ms)}   p95 ${ms(result.largeSwapP95Ms)}   p99 ${ms(result.largeSwapP99Ms)}`);
  console.log(`  (state preserved in ${preserved} of ${2 * SWAPS} swaps)`);
  console.log(`  score() through the interface (ComponentSlot.call)   ${ns(interfaceCallNs)}`);
  console.log(`  score() on the instance (ComponentInstance.call)     ${ns(instanceCallNs)}`);
  console.log(`  score() as the bare WebAssembly export              ${ns(exportCallNs)}`);
  console.log(`  score() in JavaScript, same state (the baseline)    ${ns(jsCallNs)}`);
}
