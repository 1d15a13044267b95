import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Daemon } from "../../src/daemon/daemon.js";
import { seededRng } from "../../src/random/seeded-rng.js";
import { withMergedStats, type SharedCheckpoint } from "../../src/scale/merge.js";
import { SharedState } from "../../src/scale/shared-state.js";
import { RedisStats } from "../../src/store/redis-stats.js";
import { freePort, runCli, startTestDaemon, waitFor, workspace, relativeError } from "../helpers.js";
import { startRedis, type TestRedis } from "../redis-server.js";
import { doubleDecisions, evaluate, fastWorkspace, feedWinner, getJson, post, sendEvents, spawnScaleOut, type DaemonProcess } from "../scale-out.js";

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
/** With a segment: its statistics merge across instances as the whole's do; it may get its own baseline. */
const SEGMENTED = { ...QUIET, segments: [{ name: "mobile", rule: { "==": [{ var: "device" }, "mobile"] } }], segmentBaselines: true };
const deviceOf = (i: number): Record<string, string> => ({ device: i % 3 === 0 ? "mobile" : "desktop" });

describe("two daemons on one Redis act as one", () => {
  const prefix = `evolvd-test-${process.pid}-pair`;
  let a: DaemonProcess;
  let b: DaemonProcess;
  let single: Daemon;

  beforeAll(async () => {
    // The re-read timer is slowed to a minute: a kill can only arrive in time by its message.
    const env = { EVOLVD_SYNC_MS: "60000" };
    [a, b] = await Promise.all([spawnScaleOut(fastWorkspace(SEGMENTED), redis.url, prefix, env), spawnScaleOut(fastWorkspace(SEGMENTED), redis.url, prefix, env)]);
    single = await startTestDaemon(fastWorkspace(SEGMENTED));
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
      const served = await evaluate(i % 2 === 0 ? a.url : b.url, unit, "checkout", deviceOf(i));
      const reference = await evaluate(single.url, unit, "checkout", deviceOf(i));
      expect(served.version).toBe(reference.version);
      if (i < 100) expect((await evaluate(i % 2 === 0 ? b.url : a.url, unit, "checkout", deviceOf(i))).version).toBe(served.version);
      arms.set(unit, served.version as string);
    }
    expect(new Set(arms.values()).size).toBe(3); // baseline and both candidates got units

    // Every exposure merged before the outcomes are sent: a unit's segment is its first exposure's,
    // and an outcome that reaches Redis before any exposure of its unit pins the unit in "other".
    const exposuresIn = async () => (await new RedisStats(client, prefix).read("checkout/g1")).units;
    await waitFor(async () => [...(await exposuresIn()).values()].reduce((x, y) => x + y, 0) === units.length, 5_000, "every exposure merged");

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
    // Σd of a per-outcome rate counts the outcomes that reported it (n counts units).
    const outcomesIn = (c: SharedCheckpoint) => c.periods.flatMap((p) => p.kpis.map((k) => k.conversion?.den ?? 0)).reduce((x, y) => x + y, 0);
    await waitFor(async () => outcomesIn(await mergedView()) === outcomes.length, 5_000, "every outcome merged");
    const merged = await mergedView();
    const reference = single.targets.runtime("checkout")?.experiment?.statistics();
    expect(merged.unitsPerArm).toEqual(reference?.units);
    expect(merged.unitsPerArm.reduce((x, y) => x + y, 0)).toBe(units.length);
    const parts = [{ merged: merged.periods, reference: reference?.periods ?? [] }];
    // Each segment merged as the whole is: the same units, periods and sums as the single process.
    expect(merged.segments?.map((s) => s.segment)).toEqual(["mobile", "other"]);
    expect(reference?.segments?.map((s) => s.segment)).toEqual(["mobile", "other"]);
    expect(merged.segments?.[0]?.units.reduce((x, y) => x + y, 0)).toBe(units.filter((_, i) => i % 3 === 0).length);
    for (const [i, s] of (merged.segments ?? []).entries()) {
      const own = reference?.segments?.[i];
      expect(s.units).toEqual(own?.units);
      parts.push({ merged: s.periods, reference: own?.periods ?? [] });
    }
    for (const part of parts) comparePeriods(part.merged, part.reference);
  }, 60_000);

  /** Per period: revision, weights, new units exactly; every metric cell's n exactly and its sums to 1e-6. */
  function comparePeriods(merged: SharedCheckpoint["periods"], reference: SharedCheckpoint["periods"]): void {
    expect(merged.map((p) => [p.revision, p.weights, p.newUnits])).toEqual(reference.map((p) => [p.revision, p.weights, p.newUnits]));
    for (const [i, period] of merged.entries()) {
      for (const [arm, kpis] of period.kpis.entries()) {
        const expected = reference[i]?.kpis[arm] ?? {};
        expect(Object.keys(kpis)).toEqual(Object.keys(expected));
        for (const [kpi, m] of Object.entries(kpis)) {
          expect(m.n).toBe(expected[kpi]?.n);
          expect(relativeError(m.sum, expected[kpi]?.sum ?? NaN)).toBeLessThan(1e-6);
          expect(relativeError(m.sumSquares, expected[kpi]?.sumSquares ?? NaN)).toBeLessThan(1e-6);
          // A unit's outcomes went to both instances: merged in Redis, it is still one unit.
          expect(relativeError(m.den, expected[kpi]?.den ?? NaN)).toBeLessThan(1e-6);
          expect(relativeError(m.denSquares, expected[kpi]?.denSquares ?? NaN)).toBeLessThan(1e-6);
          expect(relativeError(m.cross, expected[kpi]?.cross ?? NaN)).toBeLessThan(1e-6);
        }
      }
    }
  }

  it("pauses on every instance within one second, keeping the experiment; resume on the other brings its arms back", async () => {
    let unit = "";
    for (let i = 0; !unit; i++) if ((await evaluate(b.url, `pause-${i}`)).reason === "SPLIT") unit = `pause-${i}`;
    const before = await getJson<{ experiment: { id: string } }>(`${a.url}/v1/targets/checkout`);
    const pausedAt = performance.now();
    const answer = await post(`${a.url}/v1/targets/checkout/pause`, { reason: "test pause" });
    expect(answer.status).toBe(200);
    await waitFor(async () => (await evaluate(b.url, unit)).reason === "STATIC", 1000, "b serving the baseline after the pause on a");
    expect(performance.now() - pausedAt).toBeLessThan(1000);
    const detail = await getJson<{ killed: boolean; experiment: { id: string; status: string; paused: string[] } }>(`${b.url}/v1/targets/checkout`);
    expect(detail).toMatchObject({ killed: false, experiment: { id: before.experiment.id, status: "paused", paused: ["operator"] } });
    expect((await post(`${b.url}/v1/targets/checkout/resume`)).status).toBe(200);
    await waitFor(async () => (await evaluate(a.url, unit)).reason === "SPLIT", 2000, "a serving the candidate arm again");
    expect((await getJson<{ experiment: { id: string; status: string } }>(`${a.url}/v1/targets/checkout`)).experiment).toMatchObject({ id: before.experiment.id, status: "canary" });
    const history = (await new SharedState(client, prefix).read("checkout")).history;
    expect(history.filter((e) => e.kind === "transition" && (e.to === "paused" || e.from === "paused")).map((e) => (e.kind === "transition" ? `${e.from}→${e.to}` : ""))).toEqual(["canary→paused", "paused→canary"]);
  }, 30_000);

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
    // An operator's candidate drafted on a while held; resume on b: a new generation starts with
    // it, and a sees it.
    const drafted = await post(`${a.url}/v1/targets/checkout/candidates`, { values: { retry: { limit: 6 } }, note: "ops" });
    expect(drafted.status).toBe(201);
    const draft = ((await drafted.json()) as { version: string }).version;
    await waitFor(async () => (await getJson<{ drafts: string[] }>(`${b.url}/v1/targets/checkout`)).drafts.includes(draft), 5_000, "the draft seen on b");
    expect((await post(`${b.url}/v1/targets/checkout/resume`)).status).toBe(200);
    await waitFor(async () => (await getJson<{ experiment: { id: string } | null }>(`${a.url}/v1/targets/checkout`)).experiment?.id === "checkout/g2", 10_000, "g2 live on a");
    const g2 = await getJson<{ experiment: { arms: { version: string }[] }; drafts: string[] }>(`${a.url}/v1/targets/checkout`);
    expect(g2.experiment.arms.map((arm) => arm.version)).toContain(draft);
    expect(g2.drafts).toEqual([]);
  }, 30_000);

  it("a segment's own baseline, set on one instance, is served by the other within a second", async () => {
    const drafted = await post(`${a.url}/v1/targets/checkout/candidates`, { values: { timeout_ms: 1111 }, note: "for mobile" });
    expect(drafted.status).toBe(201);
    const version = ((await drafted.json()) as { version: string }).version;
    const movedAt = performance.now();
    const moved = await post(`${a.url}/v1/targets/checkout/rollback`, { version, segment: "mobile", reason: "mobile only" });
    expect(moved.status).toBe(200);
    await waitFor(async () => (await getJson<{ segmentBaselines?: Record<string, { version: string }> }>(`${b.url}/v1/targets/checkout`)).segmentBaselines?.mobile?.version === version, 1000, "b knows mobile's baseline");
    expect(performance.now() - movedAt).toBeLessThan(1000);
    // On b, units of the baseline arm get mobile's baseline on mobile and the target's elsewhere.
    const baseline = (await getJson<{ baseline: { version: string } }>(`${b.url}/v1/targets/checkout`)).baseline.version;
    let checked = 0;
    for (let i = 0; i < 200 && checked < 10; i++) {
      const mobile = await evaluate(b.url, `sb-${i}`, "checkout", { device: "mobile" });
      const desktop = await evaluate(b.url, `sb-${i}`, "checkout", { device: "desktop" });
      // Units of the baseline arm on both devices (a later generation's candidate may have taken the unit on desktop).
      if (mobile.reason !== "STATIC" || desktop.reason !== "STATIC") continue;
      expect([mobile.version, desktop.version], JSON.stringify({ mobile, desktop, version, baseline })).toEqual([version, baseline]);
      checked++;
    }
    expect(checked).toBe(10);
    const history = (await new SharedState(client, prefix).read("checkout")).history;
    expect(history.filter((e) => e.kind === "baseline" && e.segment === "mobile")).toEqual([expect.objectContaining({ version, cause: "rollback" })]);
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
    let stopFeeding = false;
    try {
      await waitFor(async () => (await getJson<{ experiment: unknown }>(`${a.url}/v1/targets/checkout`)).experiment !== null, 15_000, "g1 live on a");
      const feeder = feedWinner(() => (a.child.signalCode === null ? [a.url] : [(b as DaemonProcess).url]), () => stopFeeding);
      await waitFor(committing, 60_000, "a pausing before committing g1");
      b = await spawnScaleOut(fastWorkspace(policy), redis.url, prefix, lock);
      expect(a.output()).not.toMatch(/"msg":"experiment committed"/); // still paused: nothing committed yet
      a.child.kill("SIGKILL");
      await a.stop();
      const state = new SharedState(client, prefix);
      await waitFor(async () => (await state.read("checkout")).history.some((e) => e.kind === "baseline" && e.cause === "commit" && e.experiment === "checkout/g1"), 20_000, "g1 committed by b");
      // The tick a died in (its last) is taken over by b once a's lock on it expires; b runs one
      // tick at a time, so a later tick of b means the taken-over one has run to its end.
      const ticksOf = (d: DaemonProcess) => [...d.output().matchAll(/"job":"([^"]+)"[^\n]*"msg":"analysis tick"/g)].map((m) => m[1]);
      const diedIn = ticksOf(a).at(-1);
      expect(diedIn).toBeDefined();
      await waitFor(
        () => {
          const ofB = ticksOf(b as DaemonProcess);
          return ofB.includes(diedIn) && ofB.lastIndexOf(diedIn) < ofB.length - 1;
        },
        20_000,
        "b taking over the tick a died in, and finishing it",
      );
      stopFeeding = true;
      await feeder;
      const history = (await state.read("checkout")).history;
      expect(history.filter((e) => e.kind === "baseline" && e.cause === "commit" && e.experiment === "checkout/g1")).toHaveLength(1);
      expect(doubleDecisions(history as never)).toEqual([]);
      expect(b.output()).toMatch(/"experiment":"checkout\/g1".*"msg":"experiment committed"/);
      expect(await b.stop()).toBe(0);
    } finally {
      stopFeeding = true;
      a.child.kill("SIGKILL");
      await b?.stop();
    }
  }, 120_000);
});

describe("a circuit breaker tripping on one instance", () => {
  it("pulls the arm on every instance, recorded once", async () => {
    const prefix = `evolvd-test-${process.pid}-breaker`;
    const policy = { analysisEveryMs: 300, canary: { steps: [0.5], minUnitsPerStep: 1_000_000 } };
    const [a, b] = await Promise.all([0, 1].map(() => startTestDaemon(fastWorkspace(policy), { args: ["--redis", redis.url, "--redis-prefix", prefix] })));
    try {
      await waitFor(() => a!.targets.runtime("checkout")?.experiment !== null && b!.targets.runtime("checkout")?.experiment !== null, 10_000, "g1 live on both");
      const candidate = a!.targets.runtime("checkout")!.experiment!.arms[1]!.id;
      // Units of candidate 1, as a serves them; each fails (error 1) far past the 8% hard limit.
      const failing: unknown[] = [];
      for (let i = 0; failing.length < 120; i++) {
        const served = await evaluate(a!.url, `broken-${i}`);
        if (served.version === candidate) failing.push({ type: "outcome", target: "checkout", unit: `broken-${i}`, ts: 1_790_000_000_000, arm: candidate, metrics: { conversion: 0, latency_ms: 200, error: 1 } });
      }
      await sendEvents(a!.url, failing);
      expect(a!.targets.runtime("checkout")!.experiment!.isPulled(candidate)).toBe(true); // at once, on a
      await waitFor(() => b!.targets.runtime("checkout")?.experiment?.isPulled(candidate) === true, 5_000, "arm pulled on b");
      await waitFor(async () => (await new SharedState(client, prefix).read("checkout")).history.some((e) => e.kind === "arm_exit" && e.exit === "pulled"), 5_000, "pull recorded");
      // More ticks: the pull is not recorded again. Three more committed analyses (counted on either
      // instance) include at least two after the one that recorded the pull.
      const analyses = async () => {
        let n = 0;
        for (const d of [a!, b!]) n += Number(/^evolvd_analysis_duration_seconds_count\{target="checkout"\} (\d+)$/m.exec(await d.metrics.registry.metrics())?.[1] ?? 0);
        return n;
      };
      const pulledAt = await analyses();
      await waitFor(async () => (await analyses()) >= pulledAt + 3, 10_000, "three more analysis ticks");
      const exits = (await new SharedState(client, prefix).read("checkout")).history.filter((e) => e.kind === "arm_exit" && e.exit === "pulled");
      expect(exits).toHaveLength(1);
      expect(exits[0]).toMatchObject({ version: candidate, exit: "pulled", reason: expect.stringMatching(/^circuit breaker: error at 100\.00%/) });
    } finally {
      await Promise.all([a?.stop(), b?.stop()]);
    }
  }, 30_000);
});

describe("evolvd start --redis, told wrong", () => {
  it("names an unreachable Redis (password hidden) and exits 1; refuses a URL that is not redis://", async () => {
    const port = await freePort(); // nothing listens there
    const dir = workspace();
    const unreachable = await runCli(["start", "--port", "0", "--drop-dir", "configs", "--redis", `redis://ops:hunter2@127.0.0.1:${port}`], dir);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(new RegExp(`cannot reach redis://ops:\\*\\*\\*@127\\.0\\.0\\.1:${port} \\(commands connection, \\d+ attempts in 5000 ms\\): connect ECONNREFUSED`));
    expect(unreachable.stderr).not.toContain("hunter2");
    const wrong = await runCli(["start", "--port", "0", "--redis", "http://cache:6379"], dir);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/redis: expected a redis:\/\/ or rediss:\/\/ URL, got "http:\/\/cache:6379"/);
  }, 20_000);
});

describe("a change message that never arrives", () => {
  it("is healed by the re-read timer", async () => {
    const prefix = `evolvd-test-${process.pid}-heal`;
    const daemon = await startTestDaemon(fastWorkspace(QUIET), { args: ["--redis", redis.url, "--redis-prefix", prefix], env: { EVOLVD_SYNC_MS: "300" } });
    try {
      await waitFor(() => daemon.targets.runtime("checkout")?.experiment !== null, 10_000, "g1 live");
      // The kill switch turned on behind the instances' back: state changed, nothing published.
      await client.multi().set(`${prefix}:t:{checkout}:kill`, "set by hand").incr(`${prefix}:t:{checkout}:revision`).exec();
      await waitFor(() => daemon.targets.runtime("checkout")?.killed === true, 2_000, "kill picked up by the re-read");
      expect(daemon.targets.runtime("checkout")?.experiment).toBeNull();
      expect((await evaluate(daemon.url, "any-unit")).reason).toBe("STATIC");
    } finally {
      await daemon.stop();
    }
  }, 20_000);
});

describe("a target scale-out cannot run yet", () => {
  it("is refused with the reason, naming the field: quantile metrics and percentile caps are not merged across instances", async () => {
    const dir = fastWorkspace({
      ...QUIET,
      guardrails: [
        { kpi: "latency_ms", kind: "mean", direction: "decrease", tolerance: 0.05 },
        { kpi: "latency_p99", kind: "mean", direction: "decrease", tolerance: 0.05, metric: "quantile", quantile: 0.99, of: "latency_ms" },
      ],
    });
    const daemon = await spawnScaleOut(dir, redis.url, `evolvd-test-${process.pid}-unsupported`);
    try {
      const status = await getJson<{ targets: unknown[]; rejectedDrops: { problems: string[] }[] }>(`${daemon.url}/v1/targets`);
      expect(status.targets).toEqual([]);
      expect(status.rejectedDrops[0]?.problems).toEqual(['policy.guardrails[1].metric: quantile metrics are not merged across instances yet; run target "checkout" embedded']);
    } finally {
      expect(await daemon.stop()).toBe(0);
    }
  }, 30_000);
});
