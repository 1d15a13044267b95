import { OpenFeature } from "@openfeature/server-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EvolvdLocalProvider, EvolvdProvider } from "../../src/openfeature/index.js";
import type { Daemon } from "../../src/daemon/daemon.js";
import { createClient, type EvolvdClient } from "../../src/sdk/index.js";
import { shortId } from "../../src/config/canonical.js";
import { startTestDaemon, waitFor } from "../helpers.js";
import { fastWorkspace, getJson, post } from "../scale-out.js";

/** An audience, segments with their own baselines, hour-long ticks: nothing decides while the test runs. */
const WORLD = {
  analysisEveryMs: 3_600_000,
  canary: { steps: [0.5], minUnitsPerStep: 50 },
  audience: { "!=": [{ var: "country" }, "FR"] },
  segments: [{ name: "mobile", rule: { "==": [{ var: "device" }, "mobile"] } }],
  segmentBaselines: true,
};
const CONTEXTS = [{ device: "mobile" }, { device: "desktop" }, { device: "mobile", country: "FR" }, {}];

interface OfrepAnswer {
  readonly value: unknown;
  readonly reason: string;
  readonly variant: string;
  readonly metadata: { readonly version: string; readonly arm: string; readonly experiment?: string; readonly audience?: string };
}

describe("the SDK evaluates in process exactly as OFREP answers", () => {
  let daemon: Daemon;
  let client: EvolvdClient;
  let mobileBaseline = "";
  beforeAll(async () => {
    daemon = await startTestDaemon(fastWorkspace(WORLD));
    await waitFor(async () => (await getJson<{ experiment: unknown }>(`${daemon.url}/v1/targets/checkout`)).experiment !== null, 15_000, "g1 live");
    // Mobile gets its own baseline: its units in the baseline arm are served it (the alias case).
    const drafted = await post(`${daemon.url}/v1/targets/checkout/candidates`, { values: { timeout_ms: 1234 }, note: "mobile" });
    mobileBaseline = ((await drafted.json()) as { version: string }).version;
    expect((await post(`${daemon.url}/v1/targets/checkout/rollback`, { version: mobileBaseline, segment: "mobile" })).status).toBe(200);
    await waitFor(async () => (await getJson<{ experiment: { id: string } | null }>(`${daemon.url}/v1/targets/checkout`)).experiment?.id === "checkout/g2", 15_000, "g2 live");
    client = createClient({ url: daemon.url, targets: ["checkout"], flushMs: 100 });
    await client.ready(5_000);
  }, 40_000);
  afterAll(async () => {
    await client?.close();
    await daemon?.stop();
  });

  /** `n` units in every context: the SDK's answer against the router's (what OFREP serves). */
  const compare = (n: number, prefix: string): { split: number; aliased: number; outside: number } => {
    const counts = { split: 0, aliased: 0, outside: 0 };
    for (let i = 0; i < n; i++) {
      const context = CONTEXTS[i % CONTEXTS.length] as Record<string, string>;
      const unit = `${prefix}-${i}`;
      const local = client.evaluate("checkout", unit, context);
      const served = daemon.router.evaluate("checkout", unit, context, Date.now());
      if (!served.ok) throw new Error(served.error.message);
      const expected = { version: served.value.version.id, reason: served.value.reason, experiment: served.value.experiment, arm: served.value.arm ?? null };
      const got = { version: local.version, reason: local.reason, experiment: local.experiment, arm: local.arm };
      if (JSON.stringify(got) !== JSON.stringify(expected)) expect(got, `${unit} ${JSON.stringify(context)}`).toEqual(expected);
      if (local.reason === "SPLIT") counts.split++;
      if (local.version === mobileBaseline) counts.aliased++;
      if (local.reason === "DEFAULT") counts.outside++;
    }
    return counts;
  };

  it("for 100,000 units during an experiment, and for 2,000 over OFREP itself", async () => {
    const counts = compare(100_000, "diff");
    // Every path was taken: candidates, mobile's own baseline in the baseline arm, outside the audience.
    expect(counts.split).toBeGreaterThan(10_000);
    expect(counts.aliased).toBeGreaterThan(5_000);
    expect(counts.outside).toBe(25_000);
    for (let i = 0; i < 2_000; i++) {
      const context = CONTEXTS[i % CONTEXTS.length] as Record<string, string>;
      const unit = `ofrep-${i}`;
      const response = await fetch(`${daemon.url}/ofrep/v1/evaluate/flags/checkout`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ context: { targetingKey: unit, ...context } }) });
      const answer = (await response.json()) as OfrepAnswer;
      const local = client.evaluate("checkout", unit, context);
      expect({ value: local.value, reason: local.reason, variant: shortId(local.version), version: local.version, arm: local.armLabel ?? "baseline", experiment: local.experiment ?? undefined }).toEqual({
        value: answer.value,
        reason: answer.reason,
        variant: answer.variant,
        version: answer.metadata.version,
        arm: answer.metadata.arm,
        experiment: answer.metadata.experiment,
      });
    }
  }, 120_000);

  it("as an in-process OpenFeature provider: the OFREP provider's value, variant, reason and metadata", async () => {
    await OpenFeature.setProviderAndWait("sdk-local", new EvolvdLocalProvider({ url: daemon.url, targets: ["checkout"] }));
    await OpenFeature.setProviderAndWait("sdk-remote", new EvolvdProvider({ baseUrl: daemon.url }));
    const local = OpenFeature.getClient("sdk-local");
    const remote = OpenFeature.getClient("sdk-remote");
    try {
      for (let i = 0; i < 300; i++) {
        const context = { targetingKey: `of-${i}`, ...(CONTEXTS[i % CONTEXTS.length] as Record<string, string>) };
        for (const flag of ["checkout.timeout_ms", "checkout.retry.limit"]) {
          const [a, b] = [await local.getNumberDetails(flag, -1, context), await remote.getNumberDetails(flag, -1, context)];
          expect({ value: a.value, variant: a.variant, reason: a.reason, flagMetadata: a.flagMetadata }).toEqual({ value: b.value, variant: b.variant, reason: b.reason, flagMetadata: b.flagMetadata });
        }
      }
      // Errors as OpenFeature expects them, with the default value.
      expect(await local.getNumberDetails("nothing.here", 7, { targetingKey: "u" })).toMatchObject({ value: 7, errorCode: "FLAG_NOT_FOUND" });
      expect(await local.getStringDetails("checkout.timeout_ms", "x", { targetingKey: "u" })).toMatchObject({ value: "x", errorCode: "TYPE_MISMATCH" });
      expect(await local.getNumberDetails("checkout.timeout_ms", 7, {})).toMatchObject({ value: 7, errorCode: "TARGETING_KEY_MISSING" });
    } finally {
      await OpenFeature.clearProviders();
    }
  });

  it("after a reallocation and a pull, pushed to it: the same answers again", async () => {
    const before = client.stats.states;
    const live = daemon.router.experiment("checkout");
    expect(live).toBeDefined();
    // What a tick's set_weights and a pull effect do to the live experiment.
    live?.setWeights([0.3, 0.45, 0.25], Date.now());
    await waitFor(() => client.stats.states > before, 2_000, "the reallocation pushed");
    compare(50_000, "realloc");
    const states = client.stats.states;
    live?.pull(live.arms[2]?.id as string, Date.now());
    await waitFor(() => client.stats.states > states, 2_000, "the pull pushed");
    expect(compare(50_000, "pulled").split).toBeGreaterThan(5_000);
  }, 60_000);

  it("sends exposures and outcomes with the arm: the daemon counts the units", async () => {
    const view = () => daemon.targets.runtime("checkout")?.experiment;
    const unitsBefore = (view()?.unitsNow?.() ?? []).reduce((a, b) => a + b, 0);
    await client.flush();
    // The 100,000-unit comparisons overflowed the bounded buffer (counted as dropped); these fit.
    const dropped = client.stats.events.dropped;
    expect(dropped).toBeGreaterThan(0);
    const fresh = Array.from({ length: 60 }, (_, i) => `tracked-${i}`);
    for (const unit of fresh) {
      client.evaluate("checkout", unit, { device: "desktop" });
      client.track("checkout", unit, { conversion: 1 });
    }
    await client.flush();
    await waitFor(() => (view()?.unitsNow?.() ?? []).reduce((a, b) => a + b, 0) >= unitsBefore + 60, 5_000, "the 60 units counted");
    expect(client.stats.events.dropped).toBe(dropped);
  });

  it("a kill reaches it within a second: every unit gets the baseline", async () => {
    let unit = "";
    for (let i = 0; !unit; i++) if (client.evaluate("checkout", `kill-${i}`, { device: "desktop" }).reason === "SPLIT") unit = `kill-${i}`;
    const started = performance.now();
    expect((await post(`${daemon.url}/v1/targets/checkout/kill`, { reason: "sdk test" })).status).toBe(200);
    await waitFor(() => client.evaluate("checkout", unit, { device: "desktop" }).reason === "STATIC", 1_000, "the SDK serving the baseline");
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(client.evaluate("checkout", unit, { device: "mobile" }).version).toBe(mobileBaseline);
  });
});

describe("the SDK with the daemon gone", () => {
  it("keeps the last state for maxStaleMs, then serves the last known baselines (STALE), no experiment", async () => {
    const daemon = await startTestDaemon(fastWorkspace(WORLD));
    await waitFor(async () => (await getJson<{ experiment: unknown }>(`${daemon.url}/v1/targets/checkout`)).experiment !== null, 15_000, "g1 live");
    const errors: Error[] = [];
    const client = createClient({ url: daemon.url, maxStaleMs: 1_500, onError: (e) => errors.push(e) });
    try {
      await client.ready(5_000);
      let unit = "";
      for (let i = 0; !unit; i++) if (client.evaluate("checkout", `stale-${i}`).reason === "SPLIT") unit = `stale-${i}`;
      const baseline = daemon.router.baseline("checkout")?.id;
      await daemon.stop();
      const stopped = performance.now();
      // Within maxStaleMs the last state still serves the experiment.
      expect(client.evaluate("checkout", unit).reason).toBe("SPLIT");
      await waitFor(() => client.evaluate("checkout", unit).reason === "STALE", 10_000, "the SDK gone stale");
      expect(performance.now() - stopped).toBeGreaterThan(1_000);
      expect(client.evaluate("checkout", unit)).toMatchObject({ version: baseline, reason: "STALE", arm: null, experiment: null });
      expect(client.stats.stale).toBe(true);
      expect(errors.length).toBeGreaterThan(0);
      // An unknown target answers ERROR, never throws.
      expect(client.evaluate("nothing", "u").reason).toBe("ERROR");
    } finally {
      await client.close();
    }
  }, 40_000);
});
