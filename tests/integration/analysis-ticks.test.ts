import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AnalysisTicks } from "../../src/jobs/analysis-ticks.js";
import { startRedis, type TestRedis } from "../redis-server.js";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe("analysis ticks as a bull repeatable job", () => {
  it("hands every tick to exactly one of two instances", async () => {
    const prefix = `evolvd-test-${process.pid}-ticks`;
    const a = new AnalysisTicks(redis.url, { prefix });
    const b = new AnalysisTicks(redis.url, { prefix });
    const seen: { instance: string; id: string }[] = [];
    a.process(async (_target, tick) => void seen.push({ instance: "a", id: tick.id }));
    b.process(async (_target, tick) => void seen.push({ instance: "b", id: tick.id }));
    await a.schedule("checkout", 150);
    await b.schedule("checkout", 150); // both instances schedule at start: one schedule
    await new Promise((r) => setTimeout(r, 2000));
    await a.unschedule("checkout", 150);
    await Promise.all([a.close(), b.close()]);
    const ids = seen.map((s) => s.id);
    expect(ids.length).toBeGreaterThanOrEqual(8);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("retries a tick whose handler failed", async () => {
    const prefix = `evolvd-test-${process.pid}-retry`;
    const ticks = new AnalysisTicks(redis.url, { prefix, attempts: 3 });
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
    await new Promise((r) => setTimeout(r, 1500));
    await ticks.unschedule("checkout", 1000);
    await ticks.close();
    expect(attempts).toEqual([1, 2]);
  });
});
