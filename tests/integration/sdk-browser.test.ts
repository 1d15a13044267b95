import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Daemon } from "../../src/daemon/daemon.js";
import { SDK_BROWSER_FILE } from "../../src/server/sdk-file.js";
import { startTestDaemon, waitFor } from "../helpers.js";
import { fastWorkspace, getJson } from "../scale-out.js";

/** Debian's Chromium, installed by .ci/run; the test fails (never skips) without it. */
const CHROMIUM = process.env.EVOLVD_CHROMIUM ?? "/usr/bin/chromium";
const WORLD = {
  analysisEveryMs: 3_600_000,
  canary: { steps: [0.5], minUnitsPerStep: 50 },
  audience: { "!=": [{ var: "country" }, "FR"] },
  segments: [{ name: "mobile", rule: { "==": [{ var: "device" }, "mobile"] } }],
};
const CONTEXTS = [{ device: "mobile" }, { device: "desktop" }, { country: "FR" }, {}];
const UNITS = 2_000;
const KEY = "ck_checkout_browser_01";

describe("the SDK's browser build in headless Chromium", () => {
  let daemon: Daemon;
  let browser: Browser;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (.ci/run does)`);
    if (!existsSync(SDK_BROWSER_FILE)) throw new Error(`no browser build at ${SDK_BROWSER_FILE}: npm run build writes it`);
    daemon = await startTestDaemon(fastWorkspace(WORLD));
    await waitFor(async () => (await getJson<{ experiment: unknown }>(`${daemon.url}/v1/targets/checkout`)).experiment !== null, 15_000, "g1 live");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await daemon?.stop();
  });

  it("evaluates locally with the answers OFREP gives, and sends its exposures", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.text().startsWith("sdk error")) errors.push(m.text());
    });
    // A page of the daemon's origin: the module and the sync are same-origin requests.
    await page.goto(`${daemon.url}/sdk/evolvd-sdk.js`);
    // Passed as text: the test runner rewrites import() in functions it compiles.
    const script = `(async () => {
      const sdk = await import("/sdk/evolvd-sdk.js");
      const client = sdk.createClient({ url: location.origin, targets: ["checkout"], flushMs: 100, onError: (e) => console.log("sdk error: " + e) });
      await client.ready(5000);
      const contexts = ${JSON.stringify(CONTEXTS)};
      const answers = [];
      for (let i = 0; i < ${UNITS}; i++) {
        const e = client.evaluate("checkout", "browser-" + i, contexts[i % contexts.length]);
        answers.push({ value: e.value, version: e.version, reason: e.reason, arm: e.armLabel ?? "baseline", experiment: e.experiment ?? undefined });
      }
      await client.flush();
      const sent = client.stats.events.sent;
      await client.close();
      return { answers, sent, userAgent: navigator.userAgent };
    })()`;
    const local = (await page.evaluate(script)) as { answers: unknown[]; sent: number; userAgent: string };
    expect(local.userAgent).toMatch(/HeadlessChrome|Chrome/);
    expect(errors).toEqual([]);
    expect(local.answers).toHaveLength(UNITS);
    let split = 0;
    for (let i = 0; i < UNITS; i++) {
      const response = await fetch(`${daemon.url}/ofrep/v1/evaluate/flags/checkout`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ context: { targetingKey: `browser-${i}`, ...CONTEXTS[i % CONTEXTS.length] } }) });
      const answer = (await response.json()) as { value: unknown; reason: string; metadata: { version: string; arm: string; experiment?: string } };
      expect(local.answers[i]).toEqual({ value: answer.value, version: answer.metadata.version, reason: answer.reason, arm: answer.metadata.arm, experiment: answer.metadata.experiment });
      if (answer.reason === "SPLIT") split++;
    }
    expect(split).toBeGreaterThan(200);
    // Exposures of the units in the experiment (everything but the audience's outsiders) reached the daemon.
    expect(local.sent).toBe(UNITS - UNITS / CONTEXTS.length);
  }, 120_000);

  it("syncs from a page of another origin with the target's client key (CORS), and only its target", async () => {
    const dir = fastWorkspace(WORLD);
    const file = join(dir, "configs", "checkout.json");
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, "utf8")), clientKeys: [KEY] }));
    const keyed = await startTestDaemon(dir, { env: { EVOLVD_OFREP_TOKEN: "server-secret-token" } });
    // The shop's own web server, on another port: another origin than the daemon's.
    const shop = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>shop</title>"));
    await new Promise<void>((resolve) => shop.listen(0, "127.0.0.1", resolve));
    const origin = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
    try {
      await waitFor(async () => keyed.router.experiment("checkout") !== null, 15_000, "g1 live");
      const page = await browser.newPage();
      await page.goto(origin);
      const script = `(async () => {
        const sdk = await import(${JSON.stringify(`${keyed.url}/sdk/evolvd-sdk.js`)});
        const client = sdk.createClient({ url: ${JSON.stringify(keyed.url)}, clientKey: ${JSON.stringify(KEY)}, flushMs: 100 });
        await client.ready(5000);
        const answers = [];
        for (let i = 0; i < 300; i++) answers.push(client.evaluate("checkout", "cross-" + i, { device: "desktop" }).version);
        await client.flush();
        const sent = client.stats.events.sent;
        await client.close();
        const other = await fetch(${JSON.stringify(`${keyed.url}/ofrep/v1/evaluate/flags/checkout`)}, { method: "POST", headers: { authorization: "Bearer ${KEY}", "content-type": "application/json" }, body: "{}" }).then((r) => r.status, () => "blocked");
        return { origin: location.origin, answers, sent, other };
      })()`;
      const got = (await page.evaluate(script)) as { origin: string; answers: string[]; sent: number; other: number | string };
      expect(got.origin).toBe(origin);
      const served = (i: number) => {
        const r = keyed.router.evaluate("checkout", `cross-${i}`, { device: "desktop" }, Date.now());
        return r.ok ? r.value.version.id : r.error.message;
      };
      expect(got.answers).toEqual(got.answers.map((_, i) => served(i)));
      expect(got.sent).toBe(300);
      // The key opens no OFREP evaluation (the browser sees the refusal, or CORS hides it).
      expect(got.other === 403 || got.other === "blocked").toBe(true);
    } finally {
      shop.close();
      await keyed.stop();
    }
  }, 60_000);
});
