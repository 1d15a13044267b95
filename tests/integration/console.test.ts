import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, ROOT, runCli, tempDir, waitFor } from "../helpers.js";

/** Debian's Chromium, installed by .ci/run; the test fails (never skips) without it. */
const CHROMIUM = process.env.EVOLVD_CHROMIUM ?? "/usr/bin/chromium";
const ARTIFACTS = join(ROOT, "test-artifacts");
const TOKEN = "console-browser-token";
const VIEWER = "console-viewer-token";

/** How many pixels of a canvas have about this colour: a plot with data has its series' colour on it. */
async function pixelsOf(page: Page, selector: string, hex: string): Promise<number> {
  return page.evaluate(
    ({ selector, hex }) => {
      const canvas = (globalThis as unknown as { document: { querySelector: (s: string) => { width: number; height: number; getContext: (k: "2d") => { getImageData: (...a: number[]) => { data: Uint8ClampedArray } } } | null } }).document.querySelector(selector);
      if (!canvas) return -1;
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
      const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (Math.abs((data[i] as number) - r) + Math.abs((data[i + 1] as number) - g) + Math.abs((data[i + 2] as number) - b) < 40 && (data[i + 3] as number) > 200) n++;
      return n;
    },
    { selector, hex },
  );
}

/** The page's document inside page.waitForFunction (the tests compile without the DOM's types; a type erases, a helper would not reach the page). */
type Page$ = { document: { querySelector: (selector: string) => { textContent: string | null } | null } };

const BASELINE_GREY = "#6b7280"; // console/format.js ARM_COLOURS[0]: the baseline's series

describe("the web console in a real browser", () => {
  let browser: Browser;
  let daemon: ChildProcess;
  let url = "";
  let log = "";

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (.ci/run does)`);
    mkdirSync(ARTIFACTS, { recursive: true });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    daemon = spawn("node", [join(ROOT, "bin", "evolvd.js"), "start", "--demo", "--port", String(port), "--demo-rate", "300"], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, EVOLVD_ADMIN_TOKEN: TOKEN, EVOLVD_VIEWER_TOKEN: VIEWER } });
    daemon.stdout?.on("data", (d) => (log += d));
    daemon.stderr?.on("data", (d) => (log += d));
    await waitFor(async () => (await fetch(`${url}/livez`).catch(() => null))?.ok === true, 30_000, "the demo daemon up");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
  });
  afterAll(async () => {
    await browser?.close();
    daemon?.kill("SIGTERM");
  });

  it("shows nothing without the token and refuses the actions", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${url}/`);
    await page.waitForSelector("#token-form", { state: "visible" });
    expect(await page.isHidden("#app")).toBe(true);
    expect(await page.locator(".target").count()).toBe(0);
    expect(await page.locator("body").innerText()).not.toContain("checkout");
    // The page's own origin, without the token: every admin call and the stream are refused.
    const statuses = await page.evaluate(async () => {
      const post = (path: string) => fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" }).then((r) => r.status);
      return [await post("/v1/targets/checkout/kill"), await post("/v1/targets/checkout/pause"), await post("/v1/targets/checkout/rollback"), await fetch("/v1/targets/checkout").then((r) => r.status), await fetch("/v1/console/stream").then((r) => r.status)];
    });
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    // A wrong token is refused, and still nothing is shown.
    await page.fill("#token", "not-the-token");
    await page.click("#token-form button[type=submit]");
    await page.waitForSelector("#token-error", { state: "visible" });
    expect(await page.isHidden("#app")).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, "console-no-token.png"), fullPage: true });
    const detail = (await (await fetch(`${url}/v1/targets/checkout`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { killed: boolean };
    expect(detail.killed).toBe(false);
    await page.close();
  });

  it("with the viewer token shows the target and offers no action", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${url}/`);
    await page.fill("#token", VIEWER);
    await page.click("#token-form button[type=submit]");
    await page.waitForSelector('.target[data-target="checkout"]');
    await page.waitForSelector("#lineage .node");
    expect(await page.textContent("#source")).toContain("read-only");
    expect(await page.locator("#kill, #pause, #resume, #propose, #rollback").count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, "console-viewer.png"), fullPage: true });
    await page.close();
  });

  it("with the token shows the live experiment, its plots and lineage, sees a commit, and kills and resumes without reloading", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${url}/`);
    await page.fill("#token", TOKEN);
    await page.click("#token-form button[type=submit]");
    await page.waitForSelector('.target[data-target="checkout"]');
    await page.evaluate(() => ((globalThis as unknown as { marker: string }).marker = "same page"));

    // The live experiment: arms with their intervals once the first analysis has run.
    await page.waitForSelector("#arms tr.arm svg.interval", { timeout: 90_000 });
    expect(await page.locator("#arms tr.arm").count()).toBeGreaterThanOrEqual(2);
    await page.waitForSelector("#allocation-plot canvas");
    expect(await pixelsOf(page, "#allocation-plot canvas", BASELINE_GREY)).toBeGreaterThan(50);
    expect(await page.locator("#lineage .node").count()).toBeGreaterThanOrEqual(3);
    await page.screenshot({ path: join(ARTIFACTS, "console-live.png"), fullPage: true });

    // The demo commits within minutes; the page shows it from the stream, without a reload.
    await page.waitForSelector('#lineage .node[data-outcome="committed"]', { timeout: 300_000 });
    await page.waitForSelector("#trajectory-plot canvas");
    await page.screenshot({ path: join(ARTIFACTS, "console-committed.png"), fullPage: true });

    await page.click("#kill");
    await page.waitForFunction(() => (globalThis as unknown as Page$).document.querySelector("#target-state")?.textContent === "killed");
    await page.waitForFunction(() => (globalThis as unknown as Page$).document.querySelector('.target[data-target="checkout"] .state')?.textContent === "killed");
    expect(await page.isVisible("#resume")).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, "console-killed.png"), fullPage: true });
    const killed = (await (await fetch(`${url}/v1/targets/checkout`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { killed: boolean };
    expect(killed.killed).toBe(true);

    await page.click("#resume");
    await page.waitForFunction(() => !["killed", ""].includes((globalThis as unknown as Page$).document.querySelector("#target-state")?.textContent ?? ""));
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: string }).marker)).toBe("same page");
    await page.screenshot({ path: join(ARTIFACTS, "console-resumed.png"), fullPage: true });

    // Roll back to the file's baseline from its node in the lineage graph: a second click confirms.
    const anchor = await page.getAttribute('#lineage .node[data-outcome="anchor"]', "data-version");
    await page.click('#lineage .node[data-outcome="anchor"]');
    await page.click("#rollback");
    expect(await page.textContent("#rollback")).toMatch(/^Click again/);
    await page.click("#rollback");
    await page.waitForFunction(() => /^baseline is now /.test((globalThis as unknown as Page$).document.querySelector("#action-result")?.textContent ?? ""));
    await page.waitForSelector(`#lineage .node[data-version="${anchor}"][data-outcome="restored"]`);
    const rolled = (await (await fetch(`${url}/v1/targets/checkout`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { baseline: { version: string } };
    expect(rolled.baseline.version).toBe(anchor);
    expect(errors).toEqual([]);
    await page.close();
  }, 420_000);

  it("a simulation's report opens from a file, offline, with its plots drawn", async () => {
    const out = join(tempDir(), "report.html");
    const run = await runCli(["simulate", "simulations/checkout-better-region.json", "--report", out]);
    expect(run.code, run.stderr).toBe(0);
    const context = await browser.newContext({ offline: true, viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const requests: string[] = [];
    page.on("request", (request) => !request.url().startsWith("file:") && !request.url().startsWith("data:") && requests.push(request.url()));
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`file://${out}`);
    await page.waitForSelector('.target[data-target="checkout"]');
    await page.waitForSelector("#allocation-plot canvas");
    await page.waitForSelector("#trajectory-plot canvas");
    expect(await pixelsOf(page, "#allocation-plot canvas", BASELINE_GREY)).toBeGreaterThan(50);
    expect(await pixelsOf(page, "#trajectory-plot canvas", BASELINE_GREY)).toBeGreaterThan(20);
    expect(await page.locator("#lineage .node").count()).toBeGreaterThan(5);
    expect(await page.locator('#lineage .node[data-outcome="committed"]').count()).toBeGreaterThan(0);
    expect(await page.locator("#arms tr.arm").count()).toBeGreaterThanOrEqual(2);
    // Read-only: no action is offered.
    expect(await page.locator("#kill, #pause, #resume, #propose").count()).toBe(0);
    // An earlier generation can be picked and drawn.
    const options = await page.locator("#generation option").evaluateAll((o) => o.map((x) => (x as unknown as { value: string }).value));
    await page.selectOption("#generation", options.at(-1) as string);
    await page.waitForSelector("#arms tr.arm");
    await page.screenshot({ path: join(ARTIFACTS, "report.png"), fullPage: true });
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);
});
