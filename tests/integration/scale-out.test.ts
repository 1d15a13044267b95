import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Daemon } from "../../src/daemon/daemon.js";
import { seededRng } from "../../src/random/seeded-rng.js";
import { withMergedStats, type SharedCheckpoint } from "../../src/scale/merge.js";
import { SharedState } from "../../src/scale/shared-state.js";
import { RedisStats } from "../../src/store/redis-stats.js";
import { startTestDaemon } from "../helpers.js";
import { startRedis, type TestRedis } from "../redis-server.js";
import { doubleDecisions, evaluate, fastWorkspace, feedWinner, getJson, post, sendEvents, spawnScaleOut, waitFor, type DaemonProcess } from "../scale-out.js";

let redis: TestRedis;
let client: Redis;
beforeAll(async () => {
  redis = await startRedis();
  client = redis.client();
});
afterAll(async () => {
  await redis?.stop();
});

/** Ticks an hour apart: nothing reallocates while the test feeds its events. */
const QUIET = { analysisEveryMs: 3_600_000, canary: { steps: [0.5], minUnitsPerStep: 50 } };

describe("two daemons on one Redis act as one", () => {
  const prefix = `evolvd-test-${process.pid}-pair`;
  let a: DaemonProcess;
  let b: DaemonProcess;
  let single: Daemon;

  beforeAll(async () => {
    // The re-read timer is slowed to a minute: a kill can only arrive in time by its message.
    const env = { EVOLVD_SYNC_MS: "60000" };
    [a, b] = await Promise.all([spawnScaleOut(fastWorkspace(QUIET), redis.url, prefix, env), spawnScaleOut(fastWorkspace(QUIET), redis.url, prefix, env)]);
    single = await startTestDaemon(fastWorkspace(QUIET));
  }, 40_000);
  afterAll(async () => {
    expect(await Promise.all([a?.stop(), b?.stop()])).toEqual([0, 0]);
    await single?.stop();
  });

  it("serve every unit the same arm, and merge statistics of split events into the single-process result", async () => {
    type Target = { experiment: { id: string; status: string } | null };
    await waitFor(async () => (await getJson<{ targets: Target[] }>(`${b.url}/v1/targets`)).targets[0]?.experiment !== null, 15_000, "experiment live on b");
    const experiment = single.targets.runtime("checkout")?.experiment;
    expect(experiment?.id).toBe("checkout/g1");

    // Exposures: every unit evaluated on one instance, the first 100 on both (counted once).
    const rng = seededRng("merge-test");
    const units = Array.from({ length: 600 }, (_, i) => `unit-${i}`);
    const arms = new Map<string, string>();
    for (const [i, unit] of units.entries()) {
      const served = await evaluate(i % 2 === 0 ? a.url : b.url, unit);
      const reference = await evaluate(single.url, unit);
      expect(served.version).toBe(reference.version);
      if (i < 100) expect((await evaluate(i % 2 === 0 ? b.url : a.url, unit)).version).toBe(served.version);
      arms.set(unit, served.version as string);
    }
    expect(new Set(arms.values()).size).toBe(3); // baseline and both candidates got units

    // Outcomes (arm named, as the OpenFeature provider sends them), alternately to a and b.
    const outcomes = units.flatMap((unit) =>
      Array.from({ length: 1 + rng.int(3) }, () => ({
        type: "outcome",
        target: "checkout",
        unit,
        ts: 1_790_000_000_000,
        arm: arms.get(unit),
        metrics: { conversion: rng.next() < 0.2 ? 1 : 0, latency_ms: 150 + Math.round(rng.next() * 1000) / 10, error: rng.next() < 0.02 ? 1 : 0 },
      })),
    );
    const toA = outcomes.filter((_, i) => i % 2 === 0);
    const toB = outcomes.filter((_, i) => i % 2 === 1);
    expect((await sendEvents(a.url, toA)).accepted).toBe(toA.length);
    expect((await sendEvents(b.url, toB)).accepted).toBe(toB.length);
    expect((await sendEvents(single.url, outcomes)).accepted).toBe(outcomes.length);

    // What the deciding instance would see: the shared allocation with the merged statistics.
    const state = new SharedState(client, prefix);
    const stats = new RedisStats(client, prefix);
    const mergedView = async () => {
      const read = await state.read("checkout");
      return withMergedStats(JSON.parse(read.checkpoint as string) as SharedCheckpoint, await stats.read("checkout/g1"));
    };
    const outcomesIn = (c: SharedCheckpoint) => c.periods.flatMap((p) => p.kpis.map((k) => k.conversion?.n ?? 0)).reduce((x, y) => x + y, 0);
    await waitFor(async () => outcomesIn(await mergedView()) === outcomes.length, 5_000, "every outcome merged");
    const merged = await mergedView();
    const reference = single.targets.runtime("checkout")?.experiment?.snapshot(0);
    expect(merged.unitsPerArm).toEqual(reference?.units);
    expect(merged.unitsPerArm.reduce((x, y) => x + y, 0)).toBe(units.length);
    expect(merged.periods.map((p) => [p.revision, p.weights, p.newUnits])).toEqual(reference?.periods.map((p) => [p.revision, p.weights, p.newUnits]));
    for (const [i, period] of merged.periods.entries()) {
      for (const [arm, kpis] of period.kpis.entries()) {
        const expected = reference?.periods[i]?.kpis[arm] ?? {};
        expect(Object.keys(kpis)).toEqual(Object.keys(expected));
        for (const [kpi, m] of Object.entries(kpis)) {
          expect(m.n).toBe(expected[kpi]?.n);
          expect(m.sum).toBeCloseTo(expected[kpi]?.sum ?? NaN, 6);
          expect(m.sumSquares).toBeCloseTo(expected[kpi]?.sumSquares ?? NaN, 4);
        }
      }
    }
  }, 60_000);

  it("stops assignment on the other instance within one second of a kill", async () => {
    // A unit on a candidate arm, as b serves it now.
    let unit = "";
    for (let i = 0; !unit; i++) if ((await evaluate(b.url, `kill-${i}`)).reason === "SPLIT") unit = `kill-${i}`;
    const killedAt = performance.now();
    expect((await post(`${a.url}/v1/targets/checkout/kill`, { reason: "test kill" })).status).toBe(200);
    await waitFor(async () => (await evaluate(b.url, unit)).reason === "STATIC", 1000, "b serving the baseline after the kill on a");
    const elapsed = performance.now() - killedAt;
    expect(elapsed).toBeLessThan(1000);
    const detail = await getJson<{ killed: boolean; experiment: unknown }>(`${b.url}/v1/targets/checkout`);
    expect(detail).toMatchObject({ killed: true, experiment: null });
    // The kill is one history entry, whichever instance wrote it.
    const history = (await new SharedState(client, prefix).read("checkout")).history;
    expect(history.filter((e) => e.kind === "transition" && e.to === "killed")).toHaveLength(1);
    // Resume on b: a new generation starts, and a sees it.
    expect((await post(`${b.url}/v1/targets/checkout/resume`)).status).toBe(200);
    await waitFor(async () => (await getJson<{ experiment: { id: string } | null }>(`${a.url}/v1/targets/checkout`)).experiment?.id === "checkout/g2", 10_000, "g2 live on a");
  }, 30_000);
});

describe("an instance killed with SIGKILL in the middle of a tick", () => {
  it("leaves nothing half-done: the other instance goes on and the generation is committed exactly once", async () => {
    const prefix = `evolvd-test-${process.pid}-crash`;
    const policy = { analysisEveryMs: 300, minUnitsPerArm: 150, canary: { steps: [0.5], minUnitsPerStep: 50 } };
    const lock = { EVOLVD_JOB_LOCK_MS: "1500", EVOLVD_LOG_LEVEL: "debug" };
    // a decides slowly: 5 s between making each decision and committing it.
    const a = await spawnScaleOut(fastWorkspace(policy), redis.url, prefix, { ...lock, EVOLVD_FAULT_PAUSE_BEFORE_COMMIT_MS: "5000" });
    let b: DaemonProcess | null = null;
    const committing = () => a.output().split("\n").some((l) => l.includes("pausing before commit") && l.includes('"decision":"tick"') && l.includes('"baseline"'));
    await waitFor(async () => (await getJson<{ experiment: unknown }>(`${a.url}/v1/targets/checkout`)).experiment !== null, 15_000, "g1 live on a");
    let stopFeeding = false;
    const feeder = feedWinner(() => (a.child.signalCode === null ? [a.url] : [(b as DaemonProcess).url]), () => stopFeeding);
    await waitFor(committing, 60_000, "a pausing before committing g1");
    b = await spawnScaleOut(fastWorkspace(policy), redis.url, prefix, lock);
    expect(a.output()).not.toMatch(/"msg":"experiment committed"/); // still paused: nothing committed yet
    a.child.kill("SIGKILL");
    await a.stop();
    const state = new SharedState(client, prefix);
    await waitFor(async () => (await state.read("checkout")).history.some((e) => e.kind === "baseline" && e.cause === "commit" && e.experiment === "checkout/g1"), 20_000, "g1 committed by b");
    // Past a's job lock: its stalled tick has been retried by b by now.
    await new Promise((r) => setTimeout(r, 4000));
    stopFeeding = true;
    await feeder;
    const history = (await state.read("checkout")).history;
    expect(history.filter((e) => e.kind === "baseline" && e.cause === "commit" && e.experiment === "checkout/g1")).toHaveLength(1);
    expect(doubleDecisions(history as never)).toEqual([]);
    expect(b.output()).toMatch(/"experiment":"checkout\/g1".*"msg":"experiment committed"/);
    // The tick a died in was taken over by b once a's lock on it expired.
    const ticksOfA = [...a.output().matchAll(/"job":"([^"]+)"[^\n]*"msg":"analysis tick"/g)].map((m) => m[1]);
    expect(b.output()).toContain(`"job":"${ticksOfA[ticksOfA.length - 1]}"`);
    expect(await b.stop()).toBe(0);
  }, 120_000);
});
