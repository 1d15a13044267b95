import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Daemon } from "../../src/daemon/daemon.js";
import { startTestDaemon, workspace } from "../helpers.js";

describe("route schemas: requests are checked by the schema of their route, nothing coerced or dropped", () => {
  let daemon: Daemon;
  const post = (path: string, body: unknown, type = "application/json") =>
    fetch(daemon.url + path, { method: "POST", headers: { "content-type": type }, body: typeof body === "string" ? body : JSON.stringify(body) });

  beforeAll(async () => {
    daemon = await startTestDaemon(workspace());
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it("admin bodies name the field and the rule broken; the baseline is untouched", async () => {
    const baseline = daemon.targets.runtime("checkout")?.baseline.id;
    const cases: [string, unknown, string][] = [
      ["/v1/targets/checkout/rollback", {}, "body.version: is required"],
      ["/v1/targets/checkout/rollback", { version: 5 }, "body.version: must be the id of the version to roll back to"],
      ["/v1/targets/checkout/rollback", { version: "abc", force: true }, 'body: unknown field "force" (expected version, reason, segment)'],
      ["/v1/targets/checkout/kill", { reason: 42 }, "body.reason: must be a string of at most 1000 characters"],
      ["/v1/targets/checkout/kill", [], "body: must be an object"],
    ];
    for (const [path, body, message] of cases) {
      const answer = await post(path, body);
      expect(answer.status, path).toBe(400);
      expect(await answer.json()).toEqual({ error: "bad_request", message });
    }
    expect(daemon.targets.runtime("checkout")?.killed).toBe(false);
    expect(daemon.targets.runtime("checkout")?.baseline.id).toBe(baseline);
  });

  it("a kill or resume without a body is fine; an impossible target name is invalid_target", async () => {
    expect((await fetch(daemon.url + "/v1/targets/checkout/kill", { method: "POST" })).status).toBe(200);
    expect((await fetch(daemon.url + "/v1/targets/checkout/resume", { method: "POST" })).status).toBe(200);
    const bad = await fetch(daemon.url + "/v1/targets/CHECKOUT/versions");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "invalid_target", message: `"CHECKOUT" is not a target name (lower-case letters, digits, '-', '_', at most 63)` });
  });

  it("the diff query is checked the same way", async () => {
    const answer = await fetch(daemon.url + "/v1/diff?from=abc");
    expect(answer.status).toBe(400);
    expect(await answer.json()).toEqual({ error: "bad_request", message: "query.to: is required" });
  });

  it("OFREP keeps its own error codes: a body that is not an object is PARSE_ERROR, a bad context INVALID_CONTEXT", async () => {
    const array = await post("/ofrep/v1/evaluate/flags/checkout", [1, 2]);
    expect(array.status).toBe(400);
    expect(await array.json()).toMatchObject({ errorCode: "PARSE_ERROR", errorDetails: "body: must be an object" });
    const context = await post("/ofrep/v1/evaluate/flags/checkout", { context: "u1" });
    expect(await context.json()).toMatchObject({ errorCode: "INVALID_CONTEXT" });
    const missing = await post("/ofrep/v1/evaluate/flags/checkout", { context: {} });
    expect(await missing.json()).toMatchObject({ errorCode: "TARGETING_KEY_MISSING" });
  });

  it("a JSON events body with an `ndjson` field is one JSON event, not NDJSON text", async () => {
    const answer = await post("/v1/events", { ndjson: '{"type":"exposure","target":"checkout","unit":"u1","ts":1}' });
    expect(await answer.json()).toMatchObject({ accepted: 0, rejected: 1 });
  });
});
