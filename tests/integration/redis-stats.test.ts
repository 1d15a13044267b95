import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Version } from "../../src/domain/version.js";
import { seededRng } from "../../src/random/seeded-rng.js";
import { RedisStats } from "../../src/store/redis-stats.js";
import { LiveExperiment } from "../../src/stream/live-experiment.js";

const RUNNING = { status: "running", canaryStep: 0 } as const;
import { startRedis, type TestRedis } from "../redis-server.js";
import { rulesFor } from "../evidence.js";
import { relativeError } from "../helpers.js";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const version = (n: number): Version => ({ id: String(n).repeat(64).slice(0, 64), target: "checkout", values: { n }, parent: null, mutations: [], seed: null, generation: 1, createdAt: 0 });
const arms = [version(1), version(2), version(3)];
const experiment = () => new LiveExperiment({ id: "checkout/g1", target: "checkout", generation: 1, arms, weights: [0.5, 0.25, 0.25], now: 0, ...rulesFor([["conversion", "proportion"], ["latency_ms", "mean"]]) });

describe("statistics merged in Redis", () => {
  it("two instances with the events split between them merge to the single-process statistics", async () => {
    const single = experiment();
    const a = experiment();
    const b = experiment();
    a.startJournal();
    b.startJournal();
    const stats = new RedisStats(redis.client(), `evolvd-test-${process.pid}-merge`);
    const rng = seededRng("merge");
    const feed = (count: number, offset: number) => {
      for (let i = 0; i < count; i++) {
        const unit = `u${offset + rng.int(3000)}`; // units return, on either instance
        const instance = rng.next() < 0.5 ? a : b;
        const metrics = { conversion: rng.next() < 0.1 ? 1 : 0, latency_ms: 100 + 50 * rng.next() };
        for (const e of [single, instance]) {
          const arm = e.assign(unit);
          e.recordExposure(unit, arm.id);
          e.recordOutcome(unit, arm.id, metrics);
        }
      }
    };
    feed(5000, 0);
    for (const e of [a, b]) await stats.flush("checkout/g1", e.drainDeltas(), e.metrics);
    for (const e of [single, a, b]) e.setWeights([0.4, 0.4, 0.2], 1);
    feed(5000, 10_000);
    await Promise.all([a, b].map((e) => stats.flush("checkout/g1", e.drainDeltas(), e.metrics)));
    expect(a.drainDeltas()).toEqual({ units: [], exposures: [] });

    const merged = await stats.read("checkout/g1");
    const expected = single.snapshot(2, RUNNING);
    expect(expected.periods).toHaveLength(2);
    for (const period of expected.periods) {
      period.kpis.forEach((kpis, arm) => {
        for (const [kpi, m] of Object.entries(kpis)) {
          const got = merged.kpis.get(period.revision)?.get(arm)?.[kpi];
          // Units, not outcomes: a unit whose outcomes reached both instances counts once, whole.
          expect(got?.n, `${kpi} n, period ${period.revision}, arm ${arm}`).toBe(m.n);
          expect(relativeError(got?.sum, m.sum)).toBeLessThan(1e-6);
          expect(relativeError(got?.sumSquares, m.sumSquares)).toBeLessThan(1e-6);
          expect(relativeError(got?.den, m.den)).toBeLessThan(1e-6);
          expect(relativeError(got?.denSquares, m.denSquares)).toBeLessThan(1e-6);
          expect(relativeError(got?.cross, m.cross)).toBeLessThan(1e-6);
        }
      });
      period.newUnits.forEach((n, arm) => expect(merged.newUnits.get(period.revision)?.get(arm) ?? 0).toBe(n));
    }
    expected.units.forEach((n, arm) => expect(merged.units.get(arm)).toBe(n));
  });

  it("retires an ended experiment: its keys expire, late flushes still land before they go", async () => {
    const prefix = `evolvd-test-${process.pid}-retire`;
    const client = redis.client();
    const stats = new RedisStats(client, prefix);
    const e = experiment();
    e.startJournal();
    e.recordExposure("u1", arms[0]!.id);
    e.recordOutcome("u1", arms[0]!.id, { conversion: 1 });
    await stats.flush("checkout/g1", e.drainDeltas(), e.metrics);
    expect(await client.ttl(`${prefix}:x:{checkout/g1}:stats`)).toBe(-1);
    await stats.retire("checkout/g1", 60);
    const ttl = await client.ttl(`${prefix}:x:{checkout/g1}:stats`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
    expect(await client.ttl(`${prefix}:x:{checkout/g1}:served`)).toBeGreaterThan(0);
    expect((await stats.read("checkout/g1")).units.get(0)).toBe(1);
  });

  it("counts a flush retried with the same token once, and a new token again", async () => {
    const stats = new RedisStats(redis.client(), `evolvd-test-${process.pid}-token`);
    const e = experiment();
    e.startJournal();
    e.recordExposure("u1", arms[1]!.id);
    e.recordOutcome("u1", arms[1]!.id, { conversion: 1, latency_ms: 100 });
    const delta = e.drainDeltas();
    await stats.flush("checkout/g1", delta, e.metrics, "instance-a:1");
    await stats.flush("checkout/g1", delta, e.metrics, "instance-a:1"); // the reply was lost; the instance retries
    const revision = e.snapshot(0, RUNNING).periods[0]!.revision;
    const once = (await stats.read("checkout/g1")).kpis.get(revision)?.get(1);
    expect(once?.conversion).toEqual({ n: 1, sum: 1, sumSquares: 1, den: 1, denSquares: 1, cross: 1 });
    expect(once?.latency_ms).toEqual({ n: 1, sum: 100, sumSquares: 10_000, den: 1, denSquares: 1, cross: 100 });
    await stats.flush("checkout/g1", delta, e.metrics, "instance-a:2");
    // A new token is new data of the same unit: its row doubles (2 of 2 outcomes), still one unit.
    expect((await stats.read("checkout/g1")).kpis.get(revision)?.get(1)?.conversion).toEqual({ n: 1, sum: 2, sumSquares: 4, den: 2, denSquares: 4, cross: 4 });
    expect((await stats.read("checkout/g1")).units.get(1)).toBe(1); // exposures are idempotent anyway
  });
});
