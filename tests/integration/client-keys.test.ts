import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Daemon } from "../../src/daemon/daemon.js";
import { createClient } from "../../src/sdk/index.js";
import { startTestDaemon, waitFor } from "../helpers.js";
import { fastWorkspace } from "../scale-out.js";

const KEY = "ck_checkout_public_0001";
const SERVER = "server-secret-token";
const ORIGIN = "https://shop.example";

/** checkout with a client key, and a second target (`other`) without one. */
function keyedWorkspace(): string {
  const dir = fastWorkspace({ analysisEveryMs: 3_600_000 });
  const file = join(dir, "configs", "checkout.json");
  const doc = JSON.parse(readFileSync(file, "utf8"));
  writeFileSync(join(dir, "configs", "other.json"), JSON.stringify({ ...doc, target: "other" }));
  writeFileSync(file, JSON.stringify({ ...doc, clientKeys: [KEY] }));
  return dir;
}

describe("browser client keys, CORS and bounds on untrusted events", () => {
  let daemon: Daemon;
  const call = (path: string, init: RequestInit & { key?: string } = {}) =>
    fetch(`${daemon.url}${path}`, { ...init, headers: { ...(init.key ? { authorization: `Bearer ${init.key}` } : {}), ...(init.headers as Record<string, string>) } });
  const events = async (lines: unknown[], key = KEY) => {
    const response = await call("/v1/events", { method: "POST", key, headers: { "content-type": "application/x-ndjson" }, body: lines.map((l) => JSON.stringify(l)).join("\n") });
    expect(response.status).toBe(200);
    return (await response.json()) as { accepted: number; ignored: number; rejected: number; reasons: { rejected: Record<string, number> }; errors: { code: string; message: string }[] };
  };

  beforeAll(async () => {
    daemon = await startTestDaemon(keyedWorkspace(), { env: { EVOLVD_OFREP_TOKEN: SERVER, EVOLVD_ADMIN_TOKEN: "admin-secret-token", EVOLVD_CLIENT_EVENTS_PER_MINUTE: "30", EVOLVD_CORS_ORIGINS: ORIGIN } });
    await waitFor(() => daemon.targets.targets.length === 2, 10_000, "both targets");
  }, 30_000);
  afterAll(async () => {
    await daemon?.stop();
  });

  it("a client key syncs only its targets, and opens nothing else", async () => {
    const state = await call("/v1/sdk/state", { key: KEY });
    expect(state.status).toBe(200);
    expect(((await state.json()) as { targets: { target: string }[] }).targets.map((t) => t.target)).toEqual(["checkout"]);
    expect((await call("/v1/sdk/state?targets=checkout,other", { key: KEY })).status).toBe(403);
    // The server token reaches both.
    expect(((await (await call("/v1/sdk/state", { key: SERVER })).json()) as { targets: unknown[] }).targets).toHaveLength(2);
    for (const [method, path] of [["POST", "/ofrep/v1/evaluate/flags/checkout"], ["POST", "/v1/sdk/registry"], ["GET", "/v1/targets"], ["POST", "/v1/targets/checkout/kill"]] as const) {
      const response = await call(path, { method, key: KEY, headers: { "content-type": "application/json" }, body: method === "POST" ? "{}" : undefined });
      expect([401, 403], `${method} ${path}`).toContain(response.status);
    }
    expect((await call("/v1/sdk/state", { key: "ck_not_a_key_000000000" })).status).toBe(403);
    expect((await call("/v1/sdk/state")).status).toBe(401);
  });

  it("an SDK with the client key evaluates locally", async () => {
    const client = createClient({ url: daemon.url, clientKey: KEY, flushMs: 50 });
    await client.ready(5000);
    expect(client.evaluate("checkout", "u1").reason).not.toBe("ERROR");
    expect(client.evaluate("other", "u1").reason).toBe("ERROR");
    await client.close();
  });

  it("untrusted events: only the key's targets, values their metrics can take, a budget per unit", async () => {
    const exposure = (unit: string) => ({ type: "exposure", target: "checkout", unit, ts: Date.now() });
    const outcome = (unit: string, metrics: Record<string, number>) => ({ type: "outcome", target: "checkout", unit, ts: Date.now(), metrics });
    const answer = await events([exposure("a"), exposure("b"), outcome("a", { conversion: 1 }), { ...outcome("a", { conversion: 1 }), target: "other" }, outcome("b", { conversion: 0.5 })]);
    expect(answer.reasons.rejected).toEqual({ forbidden_target: 1, invalid_kpi_value: 1 });
    expect(answer.errors.find((e) => e.code === "invalid_kpi_value")?.message).toMatch(/^metrics\.conversion: a proportion KPI takes 0 or 1/);
    // The server's token reaches the other target.
    expect((await events([exposure("a"), { ...outcome("a", { conversion: 1 }), target: "other" }], SERVER)).reasons.rejected.forbidden_target).toBeUndefined();
    // 30 a minute per unit: a flood from one unit is cut, another unit is not held back.
    const flood = await events(Array.from({ length: 50 }, () => ({ type: "exposure", target: "checkout", unit: "flooder", ts: Date.now() })));
    expect(flood.reasons.rejected.rate_limited).toBe(20);
    expect(flood.accepted + flood.ignored).toBe(30);
    expect((await events([{ type: "exposure", target: "checkout", unit: "calm", ts: Date.now() }])).reasons.rejected).toEqual({});
  });

  it("answers browsers' preflights and cross-origin reads for the allowed origin only", async () => {
    const preflight = await call("/v1/sdk/state", { method: "OPTIONS", headers: { origin: ORIGIN, "access-control-request-method": "GET", "access-control-request-headers": "authorization" } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-headers")).toMatch(/authorization/);
    const read = await call("/v1/sdk/state", { key: KEY, headers: { origin: ORIGIN } });
    expect(read.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(read.headers.get("access-control-expose-headers")).toBe("ETag");
    const stranger = await call("/v1/sdk/state", { key: KEY, headers: { origin: "https://evil.example" } });
    expect(stranger.headers.get("access-control-allow-origin")).toBeNull();
    expect((await call("/v1/events", { method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "POST" } })).status).toBe(403);
    // Admin routes never answer cross-origin.
    expect((await call("/v1/targets", { key: SERVER, headers: { origin: ORIGIN } })).headers.get("access-control-allow-origin")).toBeNull();
  });
});
