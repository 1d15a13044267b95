import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Daemon } from "../../src/daemon/daemon.js";
import { moduleVersionOf } from "../../src/sdk/components/loader.js";
import { createClient, type EvolvdClient } from "../../src/sdk/index.js";
import { COMPONENT_WORKER_FILE } from "../../src/server/sdk-file.js";
import { ROOT, startTestDaemon, tempDir, waitFor } from "../helpers.js";
import { RECOMMENDER_WIT, variant } from "../components.js";

/** Debian's Chromium, installed by .ci/run; the test fails (never skips) without it. */
const CHROMIUM = process.env.EVOLVD_CHROMIUM ?? "/usr/bin/chromium";
const ARTIFACTS = join(ROOT, "test-artifacts");
const NAMES = ["popularity", "explore", "shrunk", "broken-state", "broken-start"] as const;
const VERSIONS = Object.fromEntries(NAMES.map((n) => [n, moduleVersionOf(variant(n))])) as Record<(typeof NAMES)[number], string>;

/** A target whose scorer is the component: the page follows its unit's assignment (the baseline, popularity). */
function workspace(): string {
  const dir = tempDir();
  mkdirSync(join(dir, "configs"));
  const target = {
    target: "feed",
    schema: { scorer: { format: "function", registry: "recommender" } },
    functions: { recommender: { stage: "recommender" } },
    baseline: { scorer: VERSIONS.popularity },
    mutations: [{ path: "scorer", op: "substitute", probability: 1 }],
    // A candidate goes live as soon as the service reports it, and is never decided: the test kills it.
    policy: { primary: { kpi: "click", kind: "proportion", direction: "increase" }, screening: { scenario: null }, analysisEveryMs: 200, candidatesPerGeneration: 1, liveCandidates: 1, canary: { steps: [0.5], minUnitsPerStep: 1_000_000 }, minUnitsPerArm: 1_000_000, maxUnitsPerArm: 10_000_000 },
  };
  writeFileSync(join(dir, "configs", "feed.json"), JSON.stringify(target));
  return dir;
}

describe("components in a browser's dedicated worker (headless Chromium)", () => {
  let daemon: Daemon;
  let service: EvolvdClient;
  let browser: Browser;
  let cdn: Server;
  let cdnUrl = "";
  const fetched: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (.ci/run does)`);
    if (!existsSync(COMPONENT_WORKER_FILE)) throw new Error(`no worker build at ${COMPONENT_WORKER_FILE}: npm run build writes it`);
    mkdirSync(ARTIFACTS, { recursive: true });
    daemon = await startTestDaemon(workspace());
    // Another origin serving the modules, as a CDN would (CORS open): the worker fetches and caches them.
    cdn = createServer((request, response) => {
      const name = /^\/([a-z-]+)\.wasm$/.exec(request.url ?? "")?.[1];
      fetched.push(request.url ?? "");
      if (!name || !NAMES.includes(name as never)) return void response.writeHead(404).end();
      response.writeHead(200, { "content-type": "application/wasm", "access-control-allow-origin": "*" }).end(readFileSync(join(ROOT, "components", "build", `${name}.wasm`)));
    });
    await new Promise<void>((resolve) => cdn.listen(0, "127.0.0.1", resolve));
    cdnUrl = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
  }, 60_000);
  afterAll(async () => {
    await service?.close();
    await browser?.close();
    await new Promise((resolve) => cdn?.close(resolve));
    await daemon?.stop();
  });

  it("loads the SDK, runs the component in a worker, swaps variants with the state, survives the broken modules, and caches the modules", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${daemon.url}/sdk/evolvd-sdk.js`);
    // Passed as text: the test runner rewrites import() in functions it compiles.
    const script = `(async () => {
      const sdk = await import("/sdk/evolvd-sdk.js");
      const worker = new sdk.ComponentWorker(new Worker("/sdk/evolvd-component-worker.js", { type: "module" }));
      const versions = ${JSON.stringify(VERSIONS)};
      await worker.define("recommender", ${JSON.stringify(RECOMMENDER_WIT)});
      for (const [name, version] of Object.entries(versions)) await worker.register("recommender", { url: "${cdnUrl}/" + name + ".wasm", version }, { name });
      const refused = await worker.register("recommender", new TextEncoder().encode("not a module")).then(() => "accepted", (e) => e.code + ": " + e.message);
      // The page's unit follows its assignment: the target's baseline.
      const client = sdk.createClient({ url: location.origin, targets: ["feed"], flushMs: 100 });
      await client.ready(5000);
      const follow = sdk.followAssignment(client, worker.slot("recommender"), { target: "feed", component: "recommender", unit: "page-user" });
      await follow.settled();
      const steps = [{ step: "assigned", active: worker.active("recommender") }];
      for (let i = 0; i < 200; i++) await worker.call("recommender", "observe", i % 16, i % 5 === 0);
      const learned = await worker.call("recommender", "impressions");
      const state = await worker.capture("recommender");
      // While the worker swaps, the page's thread keeps running: count its timer ticks.
      let ticks = 0;
      const timer = setInterval(() => ticks++, 0);
      for (const name of ["explore", "broken-state", "shrunk", "broken-start", "popularity"]) {
        const report = await worker.swap("recommender", versions[name]);
        steps.push({ step: name, from: report.from, to: report.to, statePreserved: report.statePreserved, reverted: report.reverted, failedAt: report.failedAt ?? null, impressions: String(await worker.call("recommender", "impressions")), ms: report.ms });
      }
      clearInterval(timer);
      const after = await worker.capture("recommender");
      const cached = (await (await caches.open("evolvd-components")).keys()).length;
      follow.stop();
      await client.close();
      document.documentElement.innerHTML = "<body style='font: 14px sans-serif; padding: 16px'><h1>evolvd components in a worker</h1><table border=1 cellpadding=4>" + steps.map((s) => "<tr><td>" + Object.entries(s).map(([k, v]) => k + ": " + (typeof v === "string" && v.length > 20 ? v.slice(0, 12) : v)).join("</td><td>") + "</td></tr>").join("") + "</table></body>";
      return { steps, learned: String(learned), same: state.length === after.length && state.every((b, i) => b === after[i]), stateBytes: state.length, cached, refused, ticks };
    })()`;
    const result = (await page.evaluate(script)) as { steps: Record<string, unknown>[]; learned: string; same: boolean; stateBytes: number; cached: number; refused: string; ticks: number };
    await page.screenshot({ path: join(ARTIFACTS, "components-worker.png"), fullPage: true });
    expect(errors).toEqual([]);
    expect(result.refused).toMatch(/^interface_mismatch: .*not a WebAssembly module/);
    expect(result.steps[0]).toEqual({ step: "assigned", active: VERSIONS.popularity });
    expect(result.learned).toBe("200");
    const byStep = Object.fromEntries(result.steps.slice(1).map((s) => [s.step, s]));
    expect(byStep.explore).toMatchObject({ from: VERSIONS.popularity, to: VERSIONS.explore, statePreserved: true, reverted: false, impressions: "200" });
    expect(byStep["broken-state"]).toMatchObject({ from: VERSIONS.explore, reverted: true, failedAt: "initialize", impressions: "200" });
    expect(byStep.shrunk).toMatchObject({ from: VERSIONS.explore, to: VERSIONS.shrunk, statePreserved: true, reverted: false });
    expect(byStep["broken-start"]).toMatchObject({ from: VERSIONS.shrunk, reverted: true, failedAt: "instantiate", impressions: "200" });
    expect(byStep.popularity).toMatchObject({ from: VERSIONS.shrunk, to: VERSIONS.popularity, statePreserved: true });
    // Every swap kept what was learned, byte for byte; the page's thread was never blocked meanwhile.
    expect(result.same).toBe(true);
    expect(result.stateBytes).toBe(16 + 256 * 8);
    expect(result.ticks).toBeGreaterThan(0);
    // Each module was fetched once and kept in the Cache API.
    expect(result.cached).toBe(NAMES.length);
    expect(fetched.filter((u) => u.endsWith(".wasm"))).toHaveLength(NAMES.length);

    // A reload: the worker finds the modules in the cache and fetches nothing.
    await page.reload();
    const again = (await page.evaluate(`(async () => {
      const sdk = await import("/sdk/evolvd-sdk.js");
      const worker = new sdk.ComponentWorker(new Worker("/sdk/evolvd-component-worker.js", { type: "module" }));
      await worker.define("recommender", ${JSON.stringify(RECOMMENDER_WIT)});
      await worker.register("recommender", { url: "${cdnUrl}/explore.wasm", version: "${VERSIONS.explore}" });
      const report = await worker.swap("recommender", "${VERSIONS.explore}");
      document.documentElement.innerHTML = "<body style='font: 14px sans-serif; padding: 16px'><h1>after a reload</h1><p>active: explore, from the Cache API</p></body>";
      return { reverted: report.reverted, active: worker.active("recommender") };
    })()`)) as { reverted: boolean; active: string };
    await page.screenshot({ path: join(ARTIFACTS, "components-reloaded.png"), fullPage: true });
    expect(again).toEqual({ reverted: false, active: VERSIONS.explore });
    expect(fetched.filter((u) => u.endsWith(".wasm"))).toHaveLength(NAMES.length);
    await page.close();
  }, 90_000);

  it("follows its unit's assignment: the candidate while the experiment runs, the baseline after a kill, with the state", async () => {
    // A service reports both versions: the daemon proposes explore.
    service = createClient({ url: daemon.url, targets: ["feed"], reportMs: 200, instanceId: "service-browser-1" });
    await service.ready(5000);
    service.components.registry.define("recommender", RECOMMENDER_WIT);
    for (const name of ["popularity", "explore"] as const) await service.components.registry.register("recommender", variant(name), { name });
    await waitFor(async () => {
      const view = (await (await fetch(`${daemon.url}/v1/targets/feed`)).json()) as { experiment: { arms: unknown[] } | null };
      return (view.experiment?.arms.length ?? 0) === 2;
    }, 15_000, "explore live");
    const page = await browser.newPage();
    await page.goto(`${daemon.url}/sdk/evolvd-sdk.js`);
    const started = (await page.evaluate(`(async () => {
      const sdk = await import("/sdk/evolvd-sdk.js");
      const worker = new sdk.ComponentWorker(new Worker("/sdk/evolvd-component-worker.js", { type: "module" }));
      await worker.define("recommender", ${JSON.stringify(RECOMMENDER_WIT)});
      for (const name of ["popularity", "explore"]) await worker.register("recommender", { url: "${cdnUrl}/" + name + ".wasm", version: ${JSON.stringify(VERSIONS)}[name] });
      const client = sdk.createClient({ url: location.origin, targets: ["feed"], flushMs: 100 });
      await client.ready(5000);
      let unit = 0;
      while (client.evaluate("feed", "visitor-" + unit).armLabel !== "candidate_1") unit++;
      const reports = [];
      window.follow = sdk.followAssignment(client, worker.slot("recommender"), { target: "feed", component: "recommender", unit: "visitor-" + unit, onSwap: (r) => reports.push(r) });
      await window.follow.settled();
      for (let i = 0; i < 30; i++) await worker.call("recommender", "observe", i % 4, true);
      Object.assign(window, { worker, reports });
      return { active: worker.active("recommender"), impressions: String(await worker.call("recommender", "impressions")) };
    })()`)) as { active: string; impressions: string };
    expect(started).toEqual({ active: VERSIONS.explore, impressions: "30" });
    const kill = await fetch(`${daemon.url}/v1/targets/feed/kill`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ reason: "browser test" }) });
    expect(kill.status).toBe(200);
    const after = (await page.evaluate(`(async () => {
      for (let i = 0; i < 500 && worker.active("recommender") !== ${JSON.stringify(VERSIONS.popularity)}; i++) await new Promise((r) => setTimeout(r, 10));
      document.documentElement.innerHTML = "<body style='font: 14px sans-serif; padding: 16px'><h1>following the assignment</h1><table border=1 cellpadding=4>" + reports.map((r) => "<tr><td>" + [r.from && r.from.slice(0, 12), r.to.slice(0, 12), "statePreserved: " + r.statePreserved, "reverted: " + r.reverted].join("</td><td>") + "</td></tr>").join("") + "</table><p>killed: back on the baseline</p></body>";
      return { active: worker.active("recommender"), impressions: String(await worker.call("recommender", "impressions")), reports: reports.map((r) => ({ from: r.from, to: r.to, statePreserved: r.statePreserved, reverted: r.reverted })) };
    })()`)) as { active: string; impressions: string; reports: unknown[] };
    await page.screenshot({ path: join(ARTIFACTS, "components-killed.png"), fullPage: true });
    expect(after.active).toBe(VERSIONS.popularity);
    expect(after.impressions).toBe("30");
    expect(after.reports).toEqual([
      { from: null, to: VERSIONS.explore, statePreserved: false, reverted: false },
      { from: VERSIONS.explore, to: VERSIONS.popularity, statePreserved: true, reverted: false },
    ]);
    await page.close();
  }, 60_000);
});
