import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SharedState } from "../../src/scale/shared-state.js";
import { RedisStats } from "../../src/store/redis-stats.js";
import { startTestDaemon, tempDir, waitFor } from "../helpers.js";
import { startOwnRedis, startRedis, type TestRedis } from "../redis-server.js";
import { doubleDecisions, evaluate, fastWorkspace, getJson, sendEvents, spawnScaleOut, type Evaluated } from "../scale-out.js";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

/** Ticks an hour apart: nothing reallocates while the test feeds its events. */
const QUIET = { analysisEveryMs: 3_600_000, canary: { steps: [0.5], minUnitsPerStep: 50 } };

describe("Redis stopped and restarted under load", () => {
  it("keeps serving, reports not ready, holds statistics back and recovers without a restart, losing nothing", async () => {
    const own = await startOwnRedis(tempDir());
    const prefix = "evolvd-outage";
    // Ticks every 500 ms that never decide (the canary needs a million units to ramp); the
    // candidates are screened on simulated traffic first, by a screening job.
    const policy = { analysisEveryMs: 500, canary: { steps: [0.5], minUnitsPerStep: 1_000_000 } };
    const [a, b] = await Promise.all([spawnScaleOut(fastWorkspace(policy, true), own.url, prefix), spawnScaleOut(fastWorkspace(policy, true), own.url, prefix)]);
    let stop = false;
    try {
      await waitFor(async () => (await getJson<{ experiment: unknown }>(`${b.url}/v1/targets/checkout`)).experiment !== null, 15_000, "g1 live");
      const state = new Redis(own.url, { maxRetriesPerRequest: 1 });
      const before = await new SharedState(state, prefix).read("checkout");
      state.disconnect();
      // Screening ran once, on one instance, and simulated every candidate.
      const started = before.history.filter((e) => e.kind === "transition" && e.to === "canary");
      expect(started).toHaveLength(1);
      expect((started[0] as { evidence: { screened: { score: number }[] } }).evidence.screened.every((s) => Number.isFinite(s.score) && s.score !== 0)).toBe(true);
      expect([a, b].filter((d) => d.output().includes('"msg":"generation proposed"'))).toHaveLength(1);

      let failed = 0;
      let outcomes = 0;
      const units = new Set<string>();
      const load = (async () => {
        for (let n = 0; !stop; n++) {
          const url = n % 2 === 0 ? a.url : b.url;
          const unit = `load-${n % 3000}`; // units come back, on either instance
          const served = await evaluate(url, unit).catch(() => ({ status: 0 }) as Evaluated);
          if (served.status !== 200) {
            failed++;
            continue;
          }
          units.add(unit);
          const counts = await sendEvents(url, [{ type: "outcome", target: "checkout", unit, ts: 1_790_000_000_000, arm: served.version, metrics: { conversion: n % 7 === 0 ? 1 : 0, latency_ms: 200, error: 0 } }]);
          outcomes += counts.accepted;
        }
      })();
      const ready = async (url: string) => (await fetch(`${url}/readyz`)).status === 200;
      await waitFor(() => outcomes > 300, 10_000, "load running");

      await own.stop();
      await waitFor(async () => !(await ready(a.url)) && !(await ready(b.url)), 5_000, "both instances not ready");
      const during = outcomes;
      await waitFor(() => outcomes > during + 300, 10_000, "events accepted while Redis is down");
      // Not a wait for a condition: the outage lasts a while on purpose, so that recovery follows
      // many failed flushes (every 200 ms) and re-reads (every 1 s), not one. No signal counts the
      // failed attempts (their error is logged once), so the outage is given a length.
      await new Promise((r) => setTimeout(r, 2500));
      const metrics = await (await fetch(`${a.url}/metrics`)).text();
      expect(metrics).toMatch(/^evolvd_shared_state_up\{prefix="evolvd-outage"\} 0$/m);
      expect(Number(/^evolvd_stats_unflushed\{target="checkout"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);

      await own.start();
      await waitFor(async () => (await ready(a.url)) && (await ready(b.url)), 15_000, "both instances ready again");
      expect(await (await fetch(`${a.url}/metrics`)).text()).toMatch(/^evolvd_shared_state_up\{prefix="evolvd-outage"\} 1$/m);
      stop = true;
      await load;
      expect(failed).toBe(0); // not one evaluation failed during the outage

      // Everything recorded during the outage reached the merged statistics, once.
      const client2 = new Redis(own.url, { maxRetriesPerRequest: 1 });
      try {
        const stats = new RedisStats(client2, prefix);
        const merged = async () => {
          const s = await stats.read("checkout/g1");
          let n = 0;
          for (const byArm of s.kpis.values()) for (const kpis of byArm.values()) n += kpis.conversion?.n ?? 0;
          return { units: [...s.units.values()].reduce((x, y) => x + y, 0), outcomes: n };
        };
        await waitFor(async () => (await merged()).outcomes === outcomes, 5_000, "every outcome merged");
        expect(await merged()).toEqual({ units: units.size, outcomes });
        // No version lost, the baseline unchanged, no decision twice; ticks go on.
        const after = await new SharedState(client2, prefix).read("checkout");
        expect(after.history.slice(0, before.history.length)).toEqual(before.history);
        expect(doubleDecisions(after.history as never)).toEqual([]);
        await waitFor(async () => {
          const detail = await getJson<{ experiment: { arms: { units: number }[] } | null }>(`${a.url}/v1/targets/checkout`);
          return detail.experiment?.arms.reduce((x, arm) => x + arm.units, 0) === units.size;
        }, 10_000, "a tick after the outage analysing every unit");
      } finally {
        client2.disconnect();
      }
      expect(a.output()).toMatch(/"msg":"shared state reachable again"/);
    } finally {
      stop = true;
      expect(await Promise.all([a.stop(), b.stop()])).toEqual([0, 0]);
      await own.stop();
    }
  }, 120_000);
});

describe("the unflushed buffer while Redis is unreachable", () => {
  it("holds back at most max-unflushed entries, counts what it drops, and flushes the rest when Redis is back", async () => {
    const own = await startOwnRedis(tempDir());
    const daemon = await startTestDaemon(fastWorkspace(QUIET), { args: ["--redis", own.url, "--redis-prefix", "evolvd-buffer"], env: { EVOLVD_MAX_UNFLUSHED: "100", EVOLVD_FLUSH_MS: "50" } });
    try {
      await waitFor(() => daemon.targets.runtime("checkout")?.experiment !== null, 10_000, "g1 live");
      await own.stop();
      for (let i = 0; i < 250; i++) expect((await evaluate(daemon.url, `buffered-${i}`)).status).toBe(200);
      await waitFor(async () => /^evolvd_stats_dropped_total\{target="checkout"\} 150$/m.test(await daemon.metrics.registry.metrics()), 5_000, "150 exposures dropped");
      expect(await daemon.metrics.registry.metrics()).toMatch(/^evolvd_stats_unflushed\{target="checkout"\} 100$/m);
      await own.start();
      const client = new Redis(own.url);
      try {
        const stats = new RedisStats(client, "evolvd-buffer");
        // The newest 100 exposures survive; the oldest were dropped.
        await waitFor(async () => [...(await stats.read("checkout/g1")).units.values()].reduce((x, y) => x + y, 0) === 100, 10_000, "100 units flushed after the outage");
      } finally {
        client.disconnect();
      }
    } finally {
      await daemon.stop();
      await own.stop();
    }
  }, 60_000);
});
