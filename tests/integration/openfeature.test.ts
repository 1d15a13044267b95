import { OpenFeature } from "@openfeature/server-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Daemon } from "../../src/daemon/daemon.js";
import { EvolvdProvider } from "../../src/openfeature/provider.js";
import { startTestDaemon, workspace } from "../helpers.js";

describe("an OpenFeature server-sdk client against a running daemon", () => {
  let daemon: Daemon;
  let provider: EvolvdProvider;

  beforeAll(async () => {
    daemon = await startTestDaemon(workspace());
    provider = new EvolvdProvider({ baseUrl: daemon.url, target: "checkout" });
    await OpenFeature.setProviderAndWait(provider);
  });
  afterAll(async () => {
    await OpenFeature.close();
    await daemon?.stop();
  });

  it("evaluates settings and whole configurations with reasons, variants and metadata", async () => {
    const client = OpenFeature.getClient();
    const details = await client.getNumberDetails("checkout.retry.limit", -1, { targetingKey: "user-42" });
    expect(details.value).toBeGreaterThanOrEqual(0);
    expect(details.errorCode).toBeUndefined();
    expect(["SPLIT", "STATIC"]).toContain(details.reason);
    expect(details.variant).toMatch(/^[0-9a-f]{12}$/);
    expect(details.flagMetadata).toMatchObject({ target: "checkout", experiment: "checkout/g1" });
    const config = await client.getObjectValue("checkout", {}, { targetingKey: "user-42" });
    expect((config as { retry: { limit: number } }).retry.limit).toBe(details.value);
    expect(await client.getBooleanValue("checkout.cache.enabled", true, { targetingKey: "user-42" })).toBeTypeOf("boolean");
  });

  it("returns the default with the OFREP error code when something is wrong", async () => {
    const client = OpenFeature.getClient();
    const missing = await client.getNumberDetails("nothing.here", 7, { targetingKey: "u" });
    expect(missing.value).toBe(7);
    expect(missing.errorCode).toBe("FLAG_NOT_FOUND");
    const noKey = await client.getNumberDetails("checkout.retry.limit", 7, {});
    expect(noKey.value).toBe(7);
    expect(noKey.errorCode).toBe("TARGETING_KEY_MISSING");
    const wrongType = await client.getStringDetails("checkout.retry.limit", "x", { targetingKey: "u" });
    expect(wrongType.value).toBe("x");
    expect(wrongType.errorCode).toBe("TYPE_MISMATCH");
  });

  it("track() sends outcomes to /v1/events, attributed to the arm the unit was served", async () => {
    const client = OpenFeature.getClient();
    const before = await (await fetch(daemon.url + "/metrics")).text();
    const count = (text: string) => Number(/evolvd_events_total\{target="checkout",result="accepted",reason="outcome"\} (\d+)/.exec(text)?.[1] ?? 0);
    for (let i = 0; i < 20; i++) {
      await client.getNumberValue("checkout.retry.limit", 0, { targetingKey: `buyer-${i}` });
      client.track("conversion", { targetingKey: `buyer-${i}` }, { value: i % 2, latency_ms: 150 + i });
    }
    await provider.flush();
    const after = await (await fetch(daemon.url + "/metrics")).text();
    expect(count(after) - count(before)).toBe(20);
  });
});
