import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Daemon } from "../../src/daemon/daemon.js";
import { startTestDaemon, workspace } from "../helpers.js";
import { rawRequest, spellings } from "../raw-http.js";

const ADMIN = "admin-secret";
const APP = "app-secret";
const VIEWER = "viewer-secret";

/**
 * The attack of the hardening issue: a token check on the raw URL prefix while the router
 * decodes the path let `/%76%31/targets/checkout/kill` through. Every protected route, spelled
 * every way a router might resolve, must be refused without its token.
 */
describe("tokens guard the route that matched, however its path is spelled", () => {
  let daemon: Daemon;
  let baseline: string;

  const withToken = (path: string, token: string, method = "GET", body?: string) =>
    rawRequest(daemon.url, path, { method, headers: { authorization: `Bearer ${token}` }, ...(body === undefined ? {} : { body }) });

  beforeAll(async () => {
    daemon = await startTestDaemon(workspace(), { args: ["--admin-token", ADMIN, "--ofrep-token", APP, "--viewer-token", VIEWER] });
    baseline = JSON.parse((await withToken("/v1/targets/checkout", ADMIN)).body).baseline.version;
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  const routes: { method: string; path: string; body?: () => string }[] = [
    { method: "GET", path: "/v1/targets" },
    { method: "GET", path: "/v1/targets/checkout" },
    { method: "GET", path: "/v1/targets/checkout/versions" },
    { method: "POST", path: "/v1/targets/checkout/kill", body: () => "{}" },
    { method: "POST", path: "/v1/targets/checkout/resume", body: () => "{}" },
    { method: "POST", path: "/v1/targets/checkout/pause", body: () => "{}" },
    { method: "POST", path: "/v1/targets/checkout/candidates", body: () => JSON.stringify({ values: { retry: { limit: 3 } } }) },
    { method: "GET", path: "/v1/targets/checkout/history" },
    { method: "GET", path: "/v1/console/summaries" },
    { method: "GET", path: "/v1/console/stream" },
    { method: "POST", path: "/v1/targets/checkout/rollback", body: () => JSON.stringify({ version: "0".repeat(64) }) },
    { method: "POST", path: "/ofrep/v1/evaluate/flags/checkout", body: () => JSON.stringify({ context: { targetingKey: "u1" } }) },
    { method: "POST", path: "/ofrep/v1/evaluate/flags", body: () => JSON.stringify({ context: { targetingKey: "u1" } }) },
    { method: "POST", path: "/v1/events", body: () => JSON.stringify({ type: "exposure", target: "checkout", unit: "attacker", ts: 1 }) },
    { method: "GET", path: "/v1/sdk/state" },
    { method: "GET", path: "/v1/sdk/stream" },
  ];

  it("never answers 2xx or 5xx to a spelling without its token", async () => {
    const leaks: string[] = [];
    let tried = 0;
    for (const route of routes) {
      for (const target of spellings(route.path, daemon.url)) {
        // The viewer token reads the admin API: it must open no action (and no other API).
        const viewer = route.method === "GET" && /^\/v1\/(targets|console)/.test(route.path) ? [] : [{ authorization: `Bearer ${VIEWER}` }];
        for (const headers of [{} as Record<string, string>, { authorization: "Bearer wrong" }, { authorization: `Bearer ${/^\/v1\/(targets|console)/.test(route.path) ? APP : ADMIN}` }, ...viewer]) {
          const answer = await rawRequest(daemon.url, target, { method: route.method, headers, ...(route.body ? { body: route.body() } : {}) });
          tried++;
          if (answer.status < 300 || answer.status >= 500) leaks.push(`${route.method} ${target} ${JSON.stringify(headers)} → ${answer.status} ${answer.body.slice(0, 120)}`);
        }
      }
    }
    expect(tried).toBeGreaterThan(500);
    expect(leaks).toEqual([]);
    // And nothing happened: not killed, same baseline, no event from the attacker counted.
    const detail = JSON.parse((await withToken("/v1/targets/checkout", ADMIN)).body);
    expect(detail.killed).toBe(false);
    expect(detail.baseline.version).toBe(baseline);
    const metrics = (await rawRequest(daemon.url, "/metrics")).body;
    expect(metrics).not.toMatch(/evolvd_events_total\{[^}]*result="accepted"/);
  });

  it("still answers the right token on the plain spelling", async () => {
    expect((await withToken("/v1/targets", ADMIN)).status).toBe(200);
    expect((await withToken("/ofrep/v1/evaluate/flags/checkout", APP, "POST", JSON.stringify({ context: { targetingKey: "u1" } }))).status).toBe(200);
    expect((await withToken("/v1/events", APP, "POST", "[]")).status).toBe(200);
    // An application's token is not an operator's, and the other way round.
    expect((await withToken("/v1/targets", APP)).status).toBe(403);
    expect((await withToken("/v1/events", ADMIN, "POST", "[]")).status).toBe(403);
  });
});
