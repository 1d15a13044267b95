import { describe, expect, it } from "vitest";
import { ComponentLoader, moduleVersionOf, type ModuleStore } from "../../../src/sdk/components/loader.js";
import { ComponentError, ComponentRegistry } from "../../../src/sdk/components/registry.js";
import { ComponentSlot, type SwapReport } from "../../../src/sdk/components/slot.js";
import { RECOMMENDER_WIT, variant } from "../../components.js";

const POPULARITY = variant("popularity");
const EXPLORE = variant("explore");
const SHRUNK = variant("shrunk");

async function setup() {
  const registry = new ComponentRegistry();
  const world = registry.define("recommender", RECOMMENDER_WIT);
  const versions: Record<string, string> = {};
  for (const [name, bytes] of Object.entries({ popularity: POPULARITY, explore: EXPLORE, shrunk: SHRUNK, brokenState: variant("broken-state"), brokenStart: variant("broken-start") })) versions[name] = (await registry.register("recommender", bytes, { name })).version;
  let t = 0;
  const slot = new ComponentSlot("recommender", world, () => t++);
  const swap = (version: string) => slot.swap(version, () => registry.module("recommender", version));
  const reports: SwapReport[] = [];
  slot.onSwap((r) => reports.push(r));
  return { registry, slot, swap, versions, reports };
}

/** Traffic the scorer learns from: item i shown i+1 times, clicked when i is even. */
function learn(slot: ComponentSlot): void {
  for (let item = 0; item < 40; item++) for (let k = 0; k <= item; k++) slot.call("observe", item, item % 2 === 0);
}

describe("a component swapped at run time with its state", () => {
  it("carries the state byte for byte into every variant, and the new variant scores from it", async () => {
    const { slot, swap, versions, reports } = await setup();
    expect((await swap(versions.popularity!)).statePreserved).toBe(false);
    learn(slot);
    const before = slot.active!.capture();
    expect(slot.call("impressions")).toBe(820n);
    const toExplore = await swap(versions.explore!);
    expect(toExplore).toMatchObject({ component: "recommender", from: versions.popularity, to: versions.explore, statePreserved: true, reverted: false });
    expect(slot.active?.version).toBe(versions.explore);
    expect(slot.active!.capture()).toEqual(before);
    expect(slot.call("impressions")).toBe(820n);
    // The explore variant's score: the learned rate plus its exploration bonus.
    const rate = (0 + 1) / (40 + 2);
    expect(slot.call("score", 39, 0)).toBeCloseTo(rate + Math.sqrt((2 * Math.log(820 + 2)) / 41), 12);
    await swap(versions.shrunk!);
    slot.call("observe", 1, true);
    expect(slot.call("impressions")).toBe(821n);
    expect((await swap(versions.popularity!)).statePreserved).toBe(true);
    expect(slot.call("score", 1, 0)).toBeCloseTo((1 + 1) / (3 + 2), 12);
    expect(reports.map((r) => r.reverted)).toEqual([false, false, false, false]);
  });

  it("reverts on an initialize failure: the previous version stays active with its state", async () => {
    const { slot, swap, versions } = await setup();
    await swap(versions.popularity!);
    learn(slot);
    const before = slot.active!.capture();
    const report = await swap(versions.brokenState!);
    expect(report).toMatchObject({ from: versions.popularity, to: versions.brokenState, reverted: true, statePreserved: false, failedAt: "initialize" });
    expect(report.error).toMatch(/unreachable/);
    expect(slot.active?.version).toBe(versions.popularity);
    expect(slot.active!.capture()).toEqual(before);
    expect(slot.call("score", 0, 0)).toBeCloseTo(1 / 1 * (1 + 1) / (1 + 2), 12);
  });

  it("reverts on an instantiate failure (a start function that traps) and on a load failure", async () => {
    const { slot, swap, versions } = await setup();
    await swap(versions.popularity!);
    learn(slot);
    const started = await swap(versions.brokenStart!);
    expect(started).toMatchObject({ reverted: true, failedAt: "instantiate" });
    const load = await slot.swap("f".repeat(64), () => Promise.reject(new Error("HTTP 404")));
    expect(load).toMatchObject({ reverted: true, failedAt: "load", error: "HTTP 404" });
    const unknown = await swap("0".repeat(64));
    expect(unknown).toMatchObject({ reverted: true, failedAt: "load" });
    expect(unknown.error).toMatch(/no registered version 000000000000/);
    expect(slot.active?.version).toBe(versions.popularity);
    expect(slot.call("impressions")).toBe(820n);
  });

  it("loses no update made while a swap is under way: the state is taken after the new version is instantiated", async () => {
    const { slot, swap, versions } = await setup();
    await swap(versions.popularity!);
    learn(slot);
    const pending = swap(versions.explore!);
    // Calls made before the swap completes go to popularity, which is still active.
    for (let i = 0; i < 10; i++) slot.call("observe", 5, true);
    expect(slot.active?.version).toBe(versions.popularity);
    expect((await pending).statePreserved).toBe(true);
    expect(slot.active?.version).toBe(versions.explore);
    expect(slot.call("impressions")).toBe(830n);
  });

  it("runs swaps one after another in the order asked", async () => {
    const { slot, swap, versions, reports } = await setup();
    await swap(versions.popularity!);
    learn(slot);
    const all = await Promise.all([swap(versions.explore!), swap(versions.brokenState!), swap(versions.shrunk!)]);
    expect(all.map((r) => [r.from, r.to, r.reverted])).toEqual([
      [versions.popularity, versions.explore, false],
      [versions.explore, versions.brokenState, true],
      [versions.explore, versions.shrunk, false],
    ]);
    expect(reports).toHaveLength(4);
    expect(slot.call("impressions")).toBe(820n);
  });
});

describe("the registry and the loader", () => {
  it("refuses a module that does not match the interface, with the reasons, and keeps nothing of it", async () => {
    const registry = new ComponentRegistry();
    registry.define("recommender", RECOMMENDER_WIT);
    const bad = registry.register("recommender", new TextEncoder().encode("nope"), { name: "bad" });
    await expect(bad).rejects.toBeInstanceOf(ComponentError);
    await expect(bad).rejects.toMatchObject({ code: "interface_mismatch", message: expect.stringMatching(/does not match world evolvd:recommender@0.1.0\/recommender: not a WebAssembly module/) });
    expect(registry.versions("recommender")).toEqual([]);
    await expect(registry.register("other", POPULARITY)).rejects.toMatchObject({ code: "unknown_component" });
    expect(() => registry.define("Bad Id", RECOMMENDER_WIT)).toThrow(/component id/);
    await expect(registry.register("recommender", { url: "https://cdn/x.wasm" })).rejects.toMatchObject({ code: "invalid_component", message: expect.stringMatching(/needs the SHA-256/) });
    const one = await registry.register("recommender", POPULARITY, { name: "popularity", experimental: false, performance: { callsPerSecond: 1e7 } });
    expect(one).toEqual({ component: "recommender", version: moduleVersionOf(POPULARITY), metadata: { name: "popularity", experimental: false, performance: { callsPerSecond: 1e7 } }, bytes: POPULARITY.length });
    // Content-addressed: the same bytes are the same version.
    expect((await registry.register("recommender", POPULARITY.slice())).version).toBe(one.version);
    expect(registry.report()).toEqual([{ id: "recommender", mutable: false, versions: [{ version: one.version, input: null, output: null }] }]);
  });

  it("loads by version id: fetched or stored bytes must hash to it; compiled once", async () => {
    const version = moduleVersionOf(EXPLORE);
    const stored = new Map<string, Uint8Array>();
    const store: ModuleStore = { get: async (v) => stored.get(v), put: async (v, b) => void stored.set(v, b) };
    let fetches = 0;
    const fetcher = (async (url: string) => {
      fetches++;
      return new Response(url.endsWith("good") ? EXPLORE : SHRUNK, { status: 200 });
    }) as unknown as typeof fetch;
    const loader = new ComponentLoader({ fetch: fetcher, store });
    await expect(loader.load(version, { url: "https://cdn/bad" })).rejects.toThrow(/hash to [0-9a-f]{12}, not to version/);
    expect(loader.has(version)).toBe(false);
    const module = await loader.load(version, { url: "https://cdn/good" });
    expect(await loader.load(version, { url: "https://cdn/good" })).toBe(module);
    expect(fetches).toBe(2);
    expect(stored.get(version)).toEqual(EXPLORE);
    // A second loader (a page reloaded) finds the bytes in the store: no fetch.
    await new ComponentLoader({ fetch: fetcher, store }).load(version, { url: "https://cdn/good" });
    expect(fetches).toBe(2);
    // A store holding other bytes under the id is not believed.
    stored.set(version, SHRUNK);
    await new ComponentLoader({ fetch: fetcher, store }).load(version, { url: "https://cdn/good" });
    expect(fetches).toBe(3);
  });
});
