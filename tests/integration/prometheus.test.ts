import { execFile, spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Daemon } from "../../src/daemon/daemon.js";
import { seededRng } from "../../src/random/seeded-rng.js";
import { freePort, ROOT, startTestDaemon, waitFor, workspace } from "../helpers.js";

// Real Prometheus and promtool (Debian package `prometheus`, installed by .ci/run).
const exec = promisify(execFile);
const RULES = join(ROOT, "grafana", "prometheus", "evolvd-rules.yml");
const DASHBOARD = join(ROOT, "grafana", "dashboards", "evolvd.json");

describe("Prometheus: rules, metrics format, and the dashboard against a live daemon", () => {
  let daemon: Daemon;
  let prometheus: ChildProcess;
  let promUrl: string;

  beforeAll(async () => {
    const dir = workspace();
    // A fast policy, so ramps, allocations and analyses happen within seconds.
    const target = JSON.parse(readFileSync(join(dir, "configs", "checkout.json"), "utf8"));
    target.policy.analysisEveryMs = 300;
    target.policy.canary = { steps: [0.2, 0.5], minUnitsPerStep: 40 };
    target.policy.allocation = { burnInUnits: 40 };
    target.policy.screening.unitsPerArm = 500;
    writeFileSync(join(dir, "configs", "checkout.json"), JSON.stringify(target));
    daemon = await startTestDaemon(dir);

    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, "prometheus.yml"),
      [
        "global: { scrape_interval: 1s, evaluation_interval: 1s }",
        `rule_files: ["${RULES}"]`,
        "scrape_configs:",
        "  - job_name: evolvd",
        `    static_configs: [{ targets: ["${new URL(daemon.url).host}"] }]`,
      ].join("\n"),
    );
    prometheus = spawn("prometheus", [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "tsdb")}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: "ignore" });
    await waitFor(async () => (await fetch(`${promUrl}/-/ready`).catch(() => null))?.ok === true, 30_000, "Prometheus ready");

    // Simulated traffic through the HTTP API: exposures and outcomes, a bad event, a bad drop.
    const rng = seededRng("prometheus-test");
    for (let batch = 0; batch < 8; batch++) {
      const lines: string[] = [];
      for (let i = 0; i < 400; i++) {
        const unit = `u${batch * 400 + i}`;
        lines.push(JSON.stringify({ type: "exposure", target: "checkout", unit, ts: Date.now() }));
        lines.push(JSON.stringify({ type: "outcome", target: "checkout", unit, ts: Date.now(), metrics: { conversion: rng.next() < 0.1 ? 1 : 0, latency_ms: 150 + 100 * rng.next(), error: rng.next() < 0.02 ? 1 : 0 } }));
      }
      lines.push("{not an event");
      await fetch(`${daemon.url}/v1/events`, { method: "POST", headers: { "content-type": "application/x-ndjson" }, body: lines.join("\n") });
      // A trickle, not a wait for a condition: the traffic arrives over ~3 s, across several
      // analysis ticks (300 ms) and scrapes (1 s), as live traffic does, so the canary ramps and
      // allocates between batches and the counters move from scrape to scrape.
      await new Promise((r) => setTimeout(r, 350));
    }
    writeFileSync(join(dir, "configs", "broken.json"), "{ not json");
    await daemon.rescan();
    await daemon.rescan();
  }, 90_000);

  afterAll(async () => {
    prometheus?.kill("SIGTERM");
    await daemon?.stop();
  });

  it("promtool accepts the rules and their unit tests", async () => {
    await exec("promtool", ["check", "rules", RULES]);
    const { stdout } = await exec("promtool", ["test", "rules", "evolvd-rules.test.yml"], { cwd: join(ROOT, "grafana", "prometheus") });
    expect(stdout).toContain("SUCCESS");
  });

  it("promtool accepts the metrics (prom-client's nodejs_active_*_total gauges aside)", async () => {
    const text = await (await fetch(`${daemon.url}/metrics`)).text();
    const kept = text
      .split("\n")
      .filter((line) => !/nodejs_active_(handles|requests|resources)_total/.test(line))
      .join("\n");
    const child = spawn("promtool", ["check", "metrics"]);
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.stdin.end(kept);
    const code = await new Promise((done) => child.on("exit", done));
    expect(output).toBe("");
    expect(code).toBe(0);
  });

  it("every PromQL expression of the dashboard returns data from a real Prometheus scraping the daemon", async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8"));
    const exprs: string[] = dashboard.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((t) => t.expr.replaceAll("$target", "checkout")));
    expect(exprs.length).toBeGreaterThanOrEqual(15);
    // The expressions without data yet (a failed query counts as none).
    const withoutData = async () => {
      const missing: string[] = [];
      for (const expr of exprs) {
        const body = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`)
          .then((r) => r.json())
          .catch(() => null);
        if (body?.status !== "success" || body.data.result.length === 0) missing.push(expr);
      }
      return missing;
    };
    let empty = exprs;
    // On time-out the assertion below names the expressions still without data.
    await waitFor(async () => (empty = await withoutData()).length === 0, 45_000, "data for every expression").catch(() => undefined);
    expect(empty).toEqual([]);
  }, 60_000);
});
