import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HistoryEntry } from "../../src/domain/history.js";
import { SharedState } from "../../src/scale/shared-state.js";
import { waitFor } from "../helpers.js";
import { startRedis, type TestRedis } from "../redis-server.js";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const entry = (reason: string): HistoryEntry => ({ kind: "transition", at: 1, experiment: "checkout/g1", generation: 1, from: "running", to: "committed", reason });
const trip = { arm: "a".repeat(64), kpi: "error", rate: 0.5, limit: 0.08, n: 40, at: 1 };

describe("the shared state of a target", () => {
  it("applies a decision only against the revision it was made on, atomically, and tells every instance", async () => {
    const prefix = `evolvd-test-${process.pid}-state`;
    const state = new SharedState(redis.client(), prefix);
    const subscriber = redis.client();
    const messages: string[] = [];
    subscriber.on("message", (_channel: string, target: string) => messages.push(target));
    await subscriber.subscribe(state.channel);

    await state.reportTrips("checkout", [trip, { ...trip, kpi: "latency_ms" }]);
    const read = await state.read("checkout");
    expect(read).toMatchObject({ revision: 0, history: [], batches: 0, checkpoint: null, kill: null, record: null });
    expect(read.trips).toHaveLength(2);

    // Two instances decide on revision 0; the first commit wins, the second changes nothing.
    expect(await state.commit("checkout", 0, { batches: [[entry("first")]], checkpoint: '{"id":"x"}', record: "{}", tripsConsumed: 1 })).toBe(true);
    expect(await state.commit("checkout", 0, { batches: [[entry("second")], [entry("third")]], checkpoint: null, tripsConsumed: 2 })).toBe(false);
    const after = await state.read("checkout");
    expect(after.revision).toBe(1);
    expect(after.history.map((e) => (e as { reason: string }).reason)).toEqual(["first"]);
    expect(after.checkpoint).toBe('{"id":"x"}');
    expect(after.trips.map((t) => t.kpi)).toEqual(["latency_ms"]); // the consumed one is gone
    expect(await state.commit("checkout", 1, { batches: [[entry("a"), entry("b")]], checkpoint: null })).toBe(true);
    expect(await state.read("checkout", 1)).toMatchObject({ revision: 2, batches: 2, checkpoint: null, history: [{ reason: "a" }, { reason: "b" }] });

    await state.setKill("checkout", "incident 42");
    expect(await state.read("checkout")).toMatchObject({ revision: 3, kill: "incident 42" });
    await state.setKill("checkout", null);
    expect(await state.read("checkout")).toMatchObject({ revision: 4, kill: null });
    // A marker published after the last change arrives after every message published before it
    // (Redis delivers a channel's messages in order): once it is in, nothing else is on the way.
    await redis.client().publish(state.channel, "marker");
    await waitFor(() => messages.includes("marker"), 5_000, "the marker message");
    expect(messages).toEqual(["checkout", "checkout", "checkout", "checkout", "marker"]); // one per change, none for the refused commit
  });

  it("reports a corrupt history batch by position instead of skipping it", async () => {
    const prefix = `evolvd-test-${process.pid}-corrupt`;
    const client = redis.client();
    const state = new SharedState(client, prefix);
    expect(await state.commit("checkout", 0, { batches: [[entry("ok")]] })).toBe(true);
    await client.rpush(`${prefix}:t:{checkout}:history`, "{not json");
    await expect(state.read("checkout")).rejects.toThrow(/history of "checkout" is corrupt at batch 2/);
    await expect(state.read("checkout", 1)).rejects.toThrow(/corrupt at batch 2/); // counted from the start, not the read
    expect(await client.llen(`${prefix}:t:{checkout}:history`)).toBe(2); // nothing dropped
  });
});
