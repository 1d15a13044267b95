import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import seedrandom from "seedrandom";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Daemon } from "../../src/daemon/daemon.js";
import type { HistoryEntry } from "../../src/domain/history.js";
import { ComponentRegistry, ComponentSlot, createClient, followAssignment, moduleVersionOf, type EvolvdClient, type SwapReport } from "../../src/sdk/index.js";
import { startTestDaemon, tempDir, waitFor } from "../helpers.js";
import { getJson } from "../scale-out.js";
import { RECOMMENDER_WIT, variant } from "../components.js";

const POPULARITY = moduleVersionOf(variant("popularity"));
const EXPLORE = moduleVersionOf(variant("explore"));
const SHRUNK = moduleVersionOf(variant("shrunk"));
const BROKEN = moduleVersionOf(variant("broken-state"));

/** Targets whose `scorer` setting is a component: substitute ranges over the versions the SDKs report. */
function workspace(): string {
  const dir = tempDir();
  mkdirSync(join(dir, "configs"));
  const target = (name: string, component: string) => ({
    target: name,
    schema: { scorer: { format: "function", registry: component } },
    functions: { [component]: { stage: component } },
    baseline: { scorer: POPULARITY },
    mutations: [{ path: "scorer", op: "substitute", probability: 1 }],
    policy: {
      seed: name,
      primary: { kpi: "click", kind: "proportion", direction: "increase" },
      screening: { scenario: null },
      analysisEveryMs: 200,
      candidatesPerGeneration: 1,
      liveCandidates: 1,
      canary: { steps: [0.5], minUnitsPerStep: 100 },
      minUnitsPerArm: 300,
      maxUnitsPerArm: 50_000,
    },
  });
  writeFileSync(join(dir, "configs", "feed.json"), JSON.stringify(target("feed", "recommender")));
  writeFileSync(join(dir, "configs", "lab.json"), JSON.stringify(target("lab", "lab")));
  return dir;
}

interface TargetView {
  readonly baseline: { readonly id: string; readonly values: { scorer: string } };
  readonly experiment: { readonly id: string; readonly arms: readonly { readonly version: string; readonly pulled: boolean }[] } | null;
}

describe("components experimented on through the SDK", () => {
  let daemon: Daemon;
  let svc: EvolvdClient;
  let page: EvolvdClient;
  const swaps: SwapReport[] = [];
  const view = (t: string) => getJson<TargetView>(`${daemon.url}/v1/targets/${t}`);
  const history = async (t: string) => (await getJson<{ history: HistoryEntry[] }>(`${daemon.url}/v1/targets/${t}/history`)).history;

  beforeAll(async () => {
    daemon = await startTestDaemon(workspace());
    svc = createClient({ url: daemon.url, targets: ["feed", "lab"], flushMs: 50, reportMs: 200, instanceId: "service-000001" });
    page = createClient({ url: daemon.url, targets: ["feed"], flushMs: 50 });
    await Promise.all([svc.ready(5000), page.ready(5000)]);
    svc.components.onSwap((r) => swaps.push(r));
    for (const id of ["recommender", "lab"]) svc.components.registry.define(id, RECOMMENDER_WIT);
    await svc.components.registry.register("lab", variant("popularity"), { name: "popularity" });
    await svc.components.registry.register("recommender", variant("popularity"), { name: "popularity" });
    await waitFor(() => svc.components.runningVersions("lab").includes(POPULARITY) && svc.components.runningVersions("recommender").includes(POPULARITY), 5000, "the baselines running");
  }, 30_000);
  afterAll(async () => {
    await page?.close();
    await svc?.close();
    await daemon?.stop();
  });

  it("a version that fails to start is its arm's error: its units run the baseline's, and the circuit breaker pulls it", async () => {
    // What the baseline learned is the state the candidate must start from.
    for (let i = 0; i < 50; i++) svc.components.use("lab", "lab", `warm-${i}`).call("observe", i % 8, i % 3 === 0);
    await svc.components.registry.register("lab", variant("broken-state"), { name: "broken-state", experimental: true });
    await waitFor(() => swaps.some((r) => r.component === "lab" && r.to === BROKEN), 10_000, "the broken version tried");
    expect(swaps.find((r) => r.to === BROKEN)).toMatchObject({ from: POPULARITY, reverted: true, failedAt: "initialize" });
    expect(svc.components.runningVersions("lab")).toEqual([POPULARITY]);
    let failed = 0;
    for (let i = 0; i < 400; i++) {
      const handle = svc.components.use("lab", "lab", `lab-${i}`);
      expect(handle.version).toBe(POPULARITY);
      expect(typeof handle.call("score", 3, 0)).toBe("number");
      if (handle.assigned === BROKEN) {
        expect(handle.reason).toBe("COMPONENT_FAILED");
        failed++;
      }
    }
    expect(failed).toBeGreaterThan(100);
    await svc.flush();
    const pulled = async () => (await history("lab")).find((e) => e.kind === "arm_exit" && e.exit === "pulled");
    await waitFor(async () => (await pulled()) !== undefined, 10_000, "the failing version pulled");
    const exit = await pulled();
    expect(exit?.kind === "arm_exit" && exit.reason).toMatch(/error/);
  }, 30_000);

  it("routes each unit by its arm; a version entering starts from the baseline's state; a commit and a kill swap a page's unit", async () => {
    for (let i = 0; i < 30; i++) svc.components.use("feed", "recommender", `warm-${i}`).call("observe", i % 4, true);
    const learned = svc.components.use("feed", "recommender", "probe").call("impressions") as bigint;
    // A page: one unit, one active version, following its assignment.
    const registry = new ComponentRegistry();
    registry.define("recommender", RECOMMENDER_WIT);
    for (const name of ["popularity", "explore", "shrunk"] as const) await registry.register("recommender", variant(name), { name });
    const pageSwaps: SwapReport[] = [];
    const slots = new Map<string, ComponentSlot>();
    const follow = (unit: string) => {
      const slot = new ComponentSlot("recommender", registry.worldOf("recommender"), () => performance.now());
      slots.set(unit, slot);
      return followAssignment(page, { active: () => slot.active?.version ?? null, swap: (v) => slot.swap(v, () => registry.module("recommender", v)) }, { target: "feed", component: "recommender", unit, onSwap: (r) => pageSwaps.push(r) });
    };
    await svc.components.registry.register("recommender", variant("explore"), { name: "explore" });
    await waitFor(async () => {
      const v = await view("feed");
      return v.experiment?.arms.some((a) => a.version !== v.baseline.id) === true;
    }, 10_000, "explore live");
    await waitFor(() => svc.components.runningVersions("recommender").includes(EXPLORE) && page.evaluate("feed", "x").experiment !== null, 5000, "explore running");
    expect(swaps.find((r) => r.to === EXPLORE)).toMatchObject({ component: "recommender", from: POPULARITY, statePreserved: true, reverted: false });
    const units = Array.from({ length: 600 }, (_, i) => `feed-${i}`);
    const inExplore = units.filter((u) => svc.components.use("feed", "recommender", u).assigned === EXPLORE);
    const inBaseline = units.filter((u) => !inExplore.includes(u));
    expect(inExplore.length).toBeGreaterThan(150);
    // The explore instance started from what popularity had learned.
    expect(svc.components.use("feed", "recommender", inExplore[0]!).call("impressions")).toBe(learned);
    const baselineUnit = inBaseline[0] as string;
    const followed = follow(baselineUnit);
    await followed.settled();
    expect(slots.get(baselineUnit)?.active?.version).toBe(POPULARITY);

    // Explore clicks three times as often: it commits.
    const rng = seedrandom("feed-clicks");
    let round = 0;
    const committed = async () => (await history("feed")).some((e) => e.kind === "baseline" && e.cause === "commit");
    while (!(await committed()) && round < 40) {
      for (const u of units) {
        const handle = svc.components.use("feed", "recommender", `${u}-${round}`);
        expect(handle.version).toBe(handle.assigned);
        svc.track("feed", `${u}-${round}`, { click: rng() < (handle.version === EXPLORE ? 0.6 : 0.2) ? 1 : 0 });
      }
      await svc.flush();
      round++;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await committed()).toBe(true);
    expect((await view("feed")).baseline.values.scorer).toBe(EXPLORE);
    // The page's unit follows the commit: popularity → explore, with its state.
    await waitFor(() => slots.get(baselineUnit)?.active?.version === EXPLORE, 10_000, "the page's unit on the committed version");
    expect(pageSwaps.find((r) => r.to === EXPLORE)).toMatchObject({ from: POPULARITY, statePreserved: true, reverted: false });
    await waitFor(() => !svc.components.runningVersions("recommender").includes(POPULARITY) || page.evaluate("feed", "x").experiment !== null, 10_000, "the old baseline dropped (or proposed again)");

    // A next candidate goes live; a kill takes every unit back to the baseline.
    await svc.components.registry.register("recommender", variant("shrunk"), { name: "shrunk" });
    await waitFor(async () => {
      const v = await view("feed");
      return v.experiment !== null && v.experiment.arms.length > 1 && page.evaluate("feed", "x").experiment === v.experiment.id;
    }, 10_000, "a second experiment live");
    const candidate = ((await view("feed")).experiment?.arms[1]?.version ?? "") as string;
    const candidateModule = (await history("feed")).flatMap((e) => (e.kind === "version" && e.version.id === candidate ? [e.version.values.scorer as string] : []))[0];
    expect([POPULARITY, SHRUNK]).toContain(candidateModule);
    const inCandidate = Array.from({ length: 400 }, (_, i) => `kill-${i}`).find((u) => page.evaluate("feed", u).version === candidate) as string;
    const killFollow = follow(inCandidate);
    await waitFor(() => slots.get(inCandidate)?.active?.version === candidateModule, 5000, "the page's unit on the candidate");
    await waitFor(() => svc.components.runningVersions("recommender").includes(candidateModule as string), 5000, "the candidate running in the service");
    const kill = await fetch(`${daemon.url}/v1/targets/feed/kill`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ reason: "test" }) });
    expect(kill.status).toBe(200);
    await waitFor(() => slots.get(inCandidate)?.active?.version === EXPLORE, 5000, "the page's unit back on the baseline after the kill");
    await waitFor(() => svc.components.runningVersions("recommender").join() === EXPLORE, 5000, "the service runs the baseline only");
    expect(pageSwaps.filter((r) => r.to === EXPLORE && r.from === candidateModule)).toHaveLength(1);
    expect(pageSwaps.every((r) => !r.reverted)).toBe(true);
    followed.stop();
    killFollow.stop();
  }, 90_000);
});
