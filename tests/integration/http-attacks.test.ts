import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Daemon } from "../../src/daemon/daemon.js";
import { startTestDaemon, waitFor, workspace } from "../helpers.js";
import { rawRequest } from "../raw-http.js";

describe("requests that used to amplify memory, hang or answer 5xx", () => {
  let dir: string;
  let daemon: Daemon;
  const events = (body: string, type = "application/x-ndjson", headers: Record<string, string> = {}) =>
    fetch(daemon.url + "/v1/events", { method: "POST", headers: { "content-type": type, ...headers }, body });
  const metric = async (pattern: RegExp): Promise<number> => Number(pattern.exec(await (await fetch(daemon.url + "/metrics")).text())?.[1] ?? 0);

  beforeAll(async () => {
    dir = workspace();
    daemon = await startTestDaemon(dir, { args: ["--request-timeout-ms", "800"] });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it("answers a body of bad lines with counts and a bounded sample, not one object per line", async () => {
    const answer = await events("1\n".repeat(10_000));
    expect(answer.status).toBe(200);
    const text = await answer.text();
    expect(text.length).toBeLessThan(20_000);
    const body = JSON.parse(text);
    expect(body).toMatchObject({ accepted: 0, rejected: 10_000, reasons: { rejected: { not_an_object: 10_000 } }, errorsNotListed: 9_900 });
    expect(body.errors).toHaveLength(100);
    expect(body.errors[99].line).toBe(100);
  });

  it("refuses a request with more lines than maxEventsPerRequest before ingesting any", async () => {
    const exposure = (i: number) => JSON.stringify({ type: "exposure", target: "checkout", unit: `flood-${i}`, ts: 1 });
    const before = await metric(/evolvd_events_total\{target="checkout",result="accepted",reason="exposure"\} (\d+)/);
    const flood = await events(Array.from({ length: 10_001 }, (_, i) => exposure(i)).join("\n"));
    expect(flood.status).toBe(413);
    expect((await flood.json()).errorCode).toBe("TOO_MANY_EVENTS");
    expect(await metric(/evolvd_events_total\{target="checkout",result="accepted",reason="exposure"\} (\d+)/)).toBe(before);
    expect((await events("1\n".repeat(2_500_000))).status).toBe(413);
  });

  it("accumulates only the policy's KPIs: a million names cost nothing but a counter", async () => {
    const lines: string[] = [];
    for (let u = 0; u < 200; u++) {
      lines.push(JSON.stringify({ type: "exposure", target: "checkout", unit: `k${u}`, ts: 1 }));
      const metrics: Record<string, number> = { conversion: 1 };
      for (let k = 0; k < 50; k++) metrics[`junk_${u}_${k}`] = 1;
      lines.push(JSON.stringify({ type: "outcome", target: "checkout", unit: `k${u}`, ts: 1, metrics }));
    }
    lines.push(JSON.stringify({ type: "outcome", target: "checkout", unit: "k1", ts: 1, metrics: { only_junk: 3 } }));
    const body = await (await events(lines.join("\n"))).json();
    expect(body).toMatchObject({ accepted: 400, ignored: 1, reasons: { ignored: { no_policy_kpi: 1 } } });
    expect(await metric(/evolvd_kpis_ignored_total\{target="checkout"\} (\d+)/)).toBe(10_000);
    const snapshot = daemon.targets.runtime("checkout")?.experiment?.statistics();
    const names = new Set(snapshot?.periods.flatMap((p) => p.kpis.flatMap((k) => Object.keys(k))));
    expect([...names]).toEqual(["conversion"]);
  });

  it("rejects values a KPI cannot take, changing nothing already counted", async () => {
    const line = (metrics: object) => JSON.stringify({ type: "outcome", target: "checkout", unit: "k1", ts: 1, metrics });
    const body = await (await events([line({ conversion: 5 }), line({ conversion: -3 }), line({ error: 0.5 }), line({ latency_ms: 1e308 }), line({ conversion: 1, error: 2 })].join("\n"))).json();
    expect(body.rejected).toBe(5);
    expect(body.reasons.rejected).toEqual({ invalid_kpi_value: 4, invalid_metrics: 1 });
    expect(body.errors[0].message).toBe("metrics.conversion: a proportion KPI takes 0 or 1 per outcome, got 5");
  });

  it("refuses compressed bodies instead of reading them as plain text", async () => {
    const answer = await events("{}", "application/json", { "content-encoding": "gzip" });
    expect(answer.status).toBe(415);
    expect((await answer.json()).errorCode).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  it("cuts off a body trickled slowly", async () => {
    const { port, hostname } = new URL(daemon.url);
    const socket = connect(Number(port), hostname);
    let answer = "";
    let closed = false;
    socket.on("data", (d) => (answer += d));
    socket.on("close", () => (closed = true));
    socket.on("error", () => undefined);
    socket.write("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n[");
    const drip = setInterval(() => !closed && socket.write(" "), 100);
    try {
      await waitFor(() => closed, 5_000, "connection closed by the server");
    } finally {
      clearInterval(drip);
      socket.destroy();
    }
    expect(answer).toMatch(/^HTTP\/1\.1 408|^$/);
  });

  it("answers odd target names with 4xx and a code, never 5xx", async () => {
    for (const name of ["%2e%2e", "..%2Fx", "CHECKOUT", "__proto__", "%00", "a%2Fb", "x".repeat(300), "%E2%82%AC"]) {
      for (const suffix of ["", "/versions", "/kill", "/resume", "/rollback"]) {
        const method = suffix === "" || suffix === "/versions" ? "GET" : "POST";
        const answer = await rawRequest(daemon.url, `/v1/targets/${name}${suffix}`, { method, ...(method === "POST" ? { body: "{}" } : {}) });
        expect(answer.status, `${method} ${name}${suffix}: ${answer.body}`).toBeGreaterThanOrEqual(400);
        expect(answer.status, `${method} ${name}${suffix}: ${answer.body}`).toBeLessThan(500);
        if (answer.status !== 404 || answer.body !== "") expect(answer.body).toMatch(/"(error|errorCode)":/);
      }
    }
  });

  it("keeps the checkpoint free of the ignored KPI names", async () => {
    await daemon.stop();
    const checkpoint = readFileSync(join(dir, "data", "targets", "checkout", "checkpoint.json"), "utf8");
    expect(checkpoint).not.toContain("junk_");
    daemon = await startTestDaemon(dir, { args: ["--request-timeout-ms", "800"] });
  });
});
