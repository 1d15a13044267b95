import { afterEach, describe, expect, it } from "vitest";
import type { EvolvdClient } from "../../../src/sdk/index.js";
import type { ServingState } from "../../../src/stream/serving-state.js";
import { fedClient, state } from "./fed-client.js";
import { followAssignment } from "../../../src/sdk/components/follow.js";
import { moduleVersionOf } from "../../../src/sdk/components/loader.js";
import { ComponentRegistry } from "../../../src/sdk/components/registry.js";
import { ComponentSlot, type SwapReport } from "../../../src/sdk/components/slot.js";
import { RECOMMENDER_WIT, variant } from "../../components.js";

const POPULARITY = moduleVersionOf(variant("popularity"));
const EXPLORE = moduleVersionOf(variant("explore"));
const BROKEN = moduleVersionOf(variant("broken-start"));


const clients: EvolvdClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
});

async function follower(first: ServingState, unitInArm: 0 | 1) {
  const fed = await fedClient(first);
  clients.push(fed.client);
  const registry = new ComponentRegistry();
  registry.define("recommender", RECOMMENDER_WIT);
  for (const name of ["popularity", "explore", "broken-start"] as const) await registry.register("recommender", variant(name));
  const slot = new ComponentSlot("recommender", registry.worldOf("recommender"), () => 0);
  const reports: SwapReport[] = [];
  // A unit in the asked arm (the bucket table splits by halves).
  const unit = Array.from({ length: 200 }, (_, i) => `u${i}`).find((u) => (fed.client.evaluate("feed", u).armLabel === "candidate_1") === (unitInArm === 1)) as string;
  const follow = followAssignment(fed.client, { active: () => slot.active?.version ?? null, swap: (v) => slot.swap(v, () => registry.module("recommender", v)) }, { target: "feed", component: "recommender", unit, onSwap: (r) => reports.push(r) });
  await follow.settled();
  return { ...fed, slot, reports, unit, follow };
}

describe("a page's component following its unit's assignment", () => {
  it("a swap that reverts is an error outcome of the assigned arm, tried once; a kill takes the unit to the baseline", async () => {
    const f = await follower(state({ version: "cfg-a", scorer: POPULARITY }, { version: "cfg-b", scorer: BROKEN }), 1);
    expect(f.reports).toMatchObject([{ to: BROKEN, reverted: true, failedAt: "instantiate" }]);
    expect(f.slot.active).toBeNull();
    // Another state with the same assignment: the refused version is not tried again.
    f.push(state({ version: "cfg-a", scorer: POPULARITY }, { version: "cfg-b", scorer: BROKEN }));
    await new Promise((r) => setTimeout(r, 50));
    await f.follow.settled();
    expect(f.reports).toHaveLength(1);
    await f.client.flush();
    expect(f.events.filter((e) => e.type === "outcome")).toEqual([expect.objectContaining({ type: "outcome", target: "feed", unit: f.unit, arm: "cfg-b", metrics: { error: 1 } })]);
    // The kill: no experiment, the baseline for everyone.
    f.push(state({ version: "cfg-a", scorer: POPULARITY }, null));
    await waitUntil(() => f.slot.active?.version === POPULARITY);
    expect(f.reports.at(-1)).toMatchObject({ from: null, to: POPULARITY, reverted: false });
  });

  it("a commit moves a baseline unit to the committed version with its state; a rollback brings it back with it", async () => {
    const f = await follower(state({ version: "cfg-a", scorer: POPULARITY }, { version: "cfg-b", scorer: EXPLORE }), 0);
    expect(f.slot.active?.version).toBe(POPULARITY);
    for (let i = 0; i < 25; i++) f.slot.call("observe", i % 3, i % 2 === 0);
    f.push(state({ version: "cfg-b", scorer: EXPLORE }, null));
    await waitUntil(() => f.slot.active?.version === EXPLORE);
    expect(f.reports.at(-1)).toMatchObject({ from: POPULARITY, to: EXPLORE, statePreserved: true, reverted: false });
    expect(f.slot.call("impressions")).toBe(25n);
    f.push(state({ version: "cfg-a", scorer: POPULARITY }, null));
    await waitUntil(() => f.slot.active?.version === POPULARITY);
    expect(f.reports.at(-1)).toMatchObject({ from: EXPLORE, to: POPULARITY, statePreserved: true });
    expect(f.slot.call("impressions")).toBe(25n);
    await f.client.flush();
    expect(f.events.filter((e) => e.type === "outcome")).toEqual([]);
  });
});

async function waitUntil(check: () => boolean, ms = 5000): Promise<void> {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
