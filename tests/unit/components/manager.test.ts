import { afterEach, describe, expect, it } from "vitest";
import type { EvolvdClient } from "../../../src/sdk/index.js";
import { moduleVersionOf } from "../../../src/sdk/components/loader.js";
import { RECOMMENDER_WIT, variant } from "../../components.js";
import { fedClient, state } from "./fed-client.js";
import { RECOMMENDER, tinyModule } from "./tiny-wasm.js";

const POPULARITY = moduleVersionOf(variant("popularity"));
// Matches the interface, starts fine, and traps on every score.
const TRAPPING = tinyModule({ functions: RECOMMENDER, traps: ["evolvd:recommender/scorer@0.1.0#score"] });
const TRAP = moduleVersionOf(TRAPPING);

const clients: EvolvdClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
});

describe("the service's component manager", () => {
  it("a version that traps in a call is failed from then on: the call is answered by the baseline's, and each use is its arm's error", async () => {
    const fed = await fedClient(state({ version: "cfg-a", scorer: POPULARITY }, { version: "cfg-b", scorer: TRAP }));
    clients.push(fed.client);
    const components = fed.client.components;
    components.registry.define("recommender", RECOMMENDER_WIT);
    await components.registry.register("recommender", variant("popularity"));
    await components.registry.register("recommender", TRAPPING, { name: "trapping", experimental: true });
    await components.ready();
    expect(components.runningVersions("recommender").sort()).toEqual([POPULARITY, TRAP].sort());
    const units = Array.from({ length: 100 }, (_, i) => `u${i}`);
    const inTrap = units.filter((u) => components.use("feed", "recommender", u).assigned === TRAP);
    expect(inTrap.length).toBeGreaterThan(20);
    const first = components.use("feed", "recommender", inTrap[0]!);
    expect(first).toMatchObject({ version: TRAP, assigned: TRAP, arm: "cfg-b", reason: "SPLIT" });
    // popularity's score of a never-seen item: (0 + 1) / (0 + 2).
    expect(first.call("score", 7, 0)).toBe(0.5);
    const later = components.use("feed", "recommender", inTrap[1]!);
    expect(later).toMatchObject({ version: POPULARITY, assigned: TRAP, reason: "COMPONENT_FAILED" });
    expect(later.call("score", 7, 0)).toBe(0.5);
    await fed.client.flush();
    const outcomes = fed.events.filter((e) => e.type === "outcome" && e.arm === "cfg-b");
    // One error for the trap and one for the later use; the first use's exposure had sent an error 0.
    expect(outcomes.map((e) => (e.metrics as { error: number }).error)).toEqual(expect.arrayContaining([0, 1, 1]));
    expect(outcomes.filter((e) => (e.metrics as { error: number }).error === 1).map((e) => e.unit)).toEqual([inTrap[0], inTrap[1]]);
  });

  it("a kill drops the candidate's instance; a version entering starts from the baseline's state", async () => {
    const EXPLORE = moduleVersionOf(variant("explore"));
    const fed = await fedClient(state({ version: "cfg-a", scorer: POPULARITY }, null));
    clients.push(fed.client);
    const components = fed.client.components;
    components.registry.define("recommender", RECOMMENDER_WIT);
    for (const name of ["popularity", "explore"] as const) await components.registry.register("recommender", variant(name));
    await components.ready();
    expect(components.runningVersions("recommender")).toEqual([POPULARITY]);
    for (let i = 0; i < 40; i++) components.use("feed", "recommender", `w${i}`).call("observe", i % 5, true);
    fed.push(state({ version: "cfg-a", scorer: POPULARITY }, { version: "cfg-b", scorer: EXPLORE }));
    await waitUntil(() => components.runningVersions("recommender").includes(EXPLORE));
    const unit = Array.from({ length: 100 }, (_, i) => `u${i}`).find((u) => components.use("feed", "recommender", u).version === EXPLORE) as string;
    expect(components.use("feed", "recommender", unit).call("impressions")).toBe(40n);
    fed.push(state({ version: "cfg-a", scorer: POPULARITY }, null));
    await waitUntil(() => components.runningVersions("recommender").join() === POPULARITY);
    expect(components.use("feed", "recommender", unit)).toMatchObject({ version: POPULARITY, assigned: POPULARITY, arm: null, reason: "STATIC" });
  });
});

async function waitUntil(check: () => boolean, ms = 5000): Promise<void> {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
