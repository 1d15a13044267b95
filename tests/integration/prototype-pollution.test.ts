import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Daemon } from "../../src/daemon/daemon.js";
import { CHECKOUT, startTestDaemon, workspace } from "../helpers.js";

/** What the attack added: a property every object would have if Object.prototype was reached. */
const polluted = () => Object.keys(Object.prototype).length > 0 || ({} as Record<string, unknown>).polluted !== undefined || ({} as Record<string, unknown>).evil !== undefined;

/** The checkout target file renamed, with `extra` spliced into the start of its schema object. */
function evilTarget(name: string, extra: string): string {
  const doc = JSON.parse(readFileSync(CHECKOUT, "utf8"));
  doc.target = name;
  doc.policy.screening.scenario = null;
  return JSON.stringify(doc).replace('"schema":{', `"schema":{${extra},`);
}

describe("inputs cannot reach Object.prototype", () => {
  let dir: string;
  let daemon: Daemon;
  const post = (path: string, body: string, type = "application/json") => fetch(daemon.url + path, { method: "POST", headers: { "content-type": type }, body });
  const evaluate = (unit: string) => post("/ofrep/v1/evaluate/flags/checkout.retry.limit", JSON.stringify({ context: { targetingKey: unit } }));

  beforeAll(async () => {
    dir = workspace();
    writeFileSync(join(dir, "configs", "proto.json"), evilTarget("proto", '"__proto__":{"polluted":{"format":"Boolean"}}'));
    writeFileSync(join(dir, "configs", "ctor.json"), evilTarget("ctor", '"constructor":{"prototype":{"evil":{"format":"Boolean"}}}'));
    writeFileSync(join(dir, "configs", "op.json"), evilTarget("op", '"x":{"format":"Boolean"}').replace('"op":"flip"', '"op":"constructor"'));
    daemon = await startTestDaemon(dir);
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it("refuses a target file whose schema has __proto__ or constructor.prototype, naming the key", async () => {
    expect(polluted()).toBe(false);
    const targets = await (await fetch(daemon.url + "/v1/targets")).json();
    expect(targets.targets.map((t: { target: string }) => t.target)).toEqual(["checkout"]);
    const problems = Object.fromEntries(targets.rejectedDrops.map((r: { file: string; problems: string[] }) => [r.file.split("/").pop(), r.problems.join("; ")]));
    expect(problems["proto.json"]).toMatch(/schema\.__proto__: the key "__proto__" is not allowed/);
    expect(problems["ctor.json"]).toMatch(/schema\.constructor: the key "constructor" is not allowed/);
    expect(problems["op.json"]).toMatch(/op: "constructor" is not one of swap, nudge, flip, reweight, substitute/);
  });

  it("keeps serving the good target, counting its exposures, and /metrics answers", async () => {
    expect((await evaluate("u-1")).status).toBe(200);
    const exposure = await post("/v1/events", JSON.stringify({ type: "exposure", target: "checkout", unit: "u-2", ts: 1 }));
    expect((await exposure.json()).accepted).toBe(1);
    const metrics = await fetch(daemon.url + "/metrics");
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain("evolvd_events_total");
    expect(polluted()).toBe(false);
  });

  it("refuses such keys in events, OFREP contexts and admin bodies", async () => {
    const line = (metrics: string) => `{"type":"outcome","target":"checkout","unit":"u-2","ts":1,"metrics":${metrics}}`;
    const ndjson = await (await post("/v1/events", [line('{"__proto__":{"polluted":1}}'), line('{"constructor":1}'), '{"type":"exposure","target":"checkout","unit":"u","ts":1,"attributes":{"__proto__":"x"}}'].join("\n"), "application/x-ndjson")).json();
    expect(ndjson.rejected).toBe(3);
    expect(ndjson.reasons.rejected).toEqual({ forbidden_key: 3 });
    const json = await post("/v1/events", `[${line('{"__proto__":{"polluted":1}}')}]`);
    expect(json.status).toBe(400);
    expect((await json.json()).errorDetails).toMatch(/\[0\]\.metrics\.__proto__: the key "__proto__" is not allowed/);
    const context = await post("/ofrep/v1/evaluate/flags/checkout", '{"context":{"targetingKey":"u","__proto__":{"polluted":true}}}');
    expect(context.status).toBe(400);
    expect((await context.json()).errorCode).toBe("PARSE_ERROR");
    const rollback = await post("/v1/targets/checkout/rollback", '{"version":"x","constructor":{"prototype":{"polluted":1}}}');
    expect(rollback.status).toBe(400);
    for (const key of ["checkout.__proto__", "checkout.constructor", "checkout.retry.__proto__", "checkout.toString"])
      expect((await post(`/ofrep/v1/evaluate/flags/${key}`, '{"context":{"targetingKey":"u"}}')).status).toBe(404);
    expect(polluted()).toBe(false);
  });

  it("starts again over the same folder (no crash loop)", async () => {
    await daemon.stop();
    daemon = await startTestDaemon(dir);
    expect((await evaluate("u-3")).status).toBe(200);
    expect((await fetch(daemon.url + "/metrics")).status).toBe(200);
    expect(polluted()).toBe(false);
  });
});
