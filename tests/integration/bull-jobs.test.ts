import Queue from "bull";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BullJobs } from "../../src/jobs/bull-jobs.js";
import { waitFor } from "../helpers.js";
import { startRedis, type TestRedis } from "../redis-server.js";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe("bull jobs: the analysis tick and screening", () => {
  it("hands every tick to exactly one of two instances", async () => {
    const prefix = `evolvd-test-${process.pid}-ticks`;
    const a = new BullJobs(redis.url, { prefix });
    const b = new BullJobs(redis.url, { prefix });
    const seen: { instance: string; id: string }[] = [];
    a.process(async (_target, tick) => void seen.push({ instance: "a", id: tick.id }));
    b.process(async (_target, tick) => void seen.push({ instance: "b", id: tick.id }));
    await a.schedule("checkout", 150);
    await b.schedule("checkout", 150); // both instances schedule at start: one schedule
    await waitFor(() => seen.length >= 8, 15_000, "8 ticks handled");
    await a.unschedule("checkout", 150);
    await Promise.all([a.close(), b.close()]);
    const ids = seen.map((s) => s.id);
    expect(ids.length).toBeGreaterThanOrEqual(8);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("retries a tick whose handler failed", async () => {
    const prefix = `evolvd-test-${process.pid}-retry`;
    const ticks = new BullJobs(redis.url, { prefix, attempts: 3 });
    const attempts: number[] = [];
    let first = "";
    ticks.process(async (_target, tick) => {
      first ||= tick.id;
      if (tick.id === first) {
        attempts.push(tick.attempt);
        if (tick.attempt === 1) throw new Error("worker failed mid-tick");
      }
    });
    await ticks.schedule("checkout", 1000);
    await waitFor(() => attempts.length >= 2, 15_000, "the failed tick retried");
    await ticks.unschedule("checkout", 1000);
    await ticks.close();
    expect(attempts).toEqual([1, 2]);
  });

  it("runs a generation's screening once however many instances ask, and again once it has finished", async () => {
    const prefix = `evolvd-test-${process.pid}-screening`;
    const a = new BullJobs(redis.url, { prefix });
    const b = new BullJobs(redis.url, { prefix });
    const runs: string[] = [];
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    const handler = (instance: string) => async (target: string, generation: number) => {
      runs.push(`${instance}:${target}/g${generation}`);
      await held; // still running while the others ask
    };
    a.processScreening(handler("a"));
    b.processScreening(handler("b"));
    // The screening queue as bull keeps it, to see its jobs (what BullJobs does not show).
    const queue = new Queue("screening", redis.url, { prefix });
    try {
      await Promise.all([a.requestScreening("checkout", 4), b.requestScreening("checkout", 4)]);
      await waitFor(() => runs.length > 0, 15_000, "the screening job running");
      await a.requestScreening("checkout", 4);
      // One job in the queue, the one running: the requests while it runs added none (one more
      // would be waiting, or running on the idle worker), so no second run is coming.
      expect(await queue.getJobCounts()).toMatchObject({ waiting: 0, active: 1, delayed: 0 });
      expect(runs).toHaveLength(1);
      release();
      await waitFor(async () => (await (await queue.getJob("screen:checkout:4"))?.isCompleted()) === true, 15_000, "the screening job finished");
      // Finished (say the target was killed meanwhile, so g4 did not start): asking again runs it.
      await b.requestScreening("checkout", 4);
      await waitFor(() => runs.length === 2, 15_000, "the screening job run again");
      await Promise.all([a.close(), b.close()]);
      expect(runs.map((r) => r.slice(2))).toEqual(["checkout/g4", "checkout/g4"]);
    } finally {
      await queue.close();
    }
  });
});
