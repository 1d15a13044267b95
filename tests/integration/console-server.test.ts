import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Daemon } from "../../src/daemon/daemon.js";
import { rawRequest } from "../raw-http.js";
import { startTestDaemon, waitFor, workspace } from "../helpers.js";

const ADMIN = "console-admin";
const auth = { authorization: `Bearer ${ADMIN}` };

type Sse = { event: string; data: string };

/** Server-sent events of a response: `until(check)` reads on until an event satisfies `check`. */
function eventsOf(response: Response): { until: (check: (event: Sse) => boolean) => Promise<Sse[]> } {
  const reader = (response.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  return {
    async until(check) {
      const events: Sse[] = [];
      for (;;) {
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = { event: /^event: (.*)$/m.exec(block)?.[1] ?? "", data: /^data: (.*)$/m.exec(block)?.[1] ?? "" };
          events.push(event);
          if (check(event)) return events;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error(`the stream ended after ${events.length} events`);
        buffer += value;
      }
    },
  };
}

describe("the console's routes", () => {
  let daemon: Daemon;
  beforeAll(async () => {
    daemon = await startTestDaemon(workspace(), { args: ["--admin-token", ADMIN] });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it("serves its page, scripts and the charting library without a token, with a content security policy", async () => {
    const page = await fetch(`${daemon.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await page.text();
    // Every script and stylesheet the page names is served (the page works offline).
    const assets = [...html.matchAll(/(?:src|href)="(\/console\/[^"]+)"/g)].map((m) => m[1] as string);
    expect(assets.length).toBeGreaterThanOrEqual(9);
    for (const asset of assets) {
      const answer = await fetch(`${daemon.url}${asset}`);
      expect(answer.status, asset).toBe(200);
      expect(answer.headers.get("content-type"), asset).toMatch(asset.endsWith(".css") ? /^text\/css/ : /^text\/javascript/);
    }
    // The page itself holds no data of the daemon's.
    expect(html).not.toContain("checkout");
  });

  it("answers 404 to a file it does not have, however the path is spelled", async () => {
    for (const path of ["/console/nope.js", "/console/..%2fpackage.json", "/console/%2e%2e/package.json", "/console/vendor/..%2f..%2fpackage.json", "/console/vendor/uPlot.js"]) {
      const answer = await rawRequest(daemon.url, path, { method: "GET" });
      expect(answer.status, path).toBe(404);
      expect(answer.body).not.toContain('"name": "evolvd"');
    }
  });

  it("gives summaries and the event stream only with the admin token", async () => {
    for (const path of ["/v1/console/summaries", "/v1/console/stream"]) {
      expect((await fetch(`${daemon.url}${path}`)).status, path).toBe(401);
      expect((await fetch(`${daemon.url}${path}`, { headers: { authorization: "Bearer wrong" } })).status, path).toBe(403);
    }
    const summaries = (await (await fetch(`${daemon.url}/v1/console/summaries`, { headers: auth })).json()) as { targets: { target: string; killed: boolean; experiment: { id: string } | null }[] };
    expect(summaries.targets.map((t) => t.target)).toContain("checkout");
  });

  it("pushes a target's change to an open stream: the kill switch arrives as an event", async () => {
    const controller = new AbortController();
    const stream = await fetch(`${daemon.url}/v1/console/stream`, { headers: auth, signal: controller.signal });
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = eventsOf(stream);
    const first = await events.until((e) => e.event === "targets");
    const before = JSON.parse(first.at(-1)?.data ?? "{}") as { targets: { target: string; killed: boolean }[] };
    expect(before.targets.find((t) => t.target === "checkout")?.killed).toBe(false);
    const kill = await fetch(`${daemon.url}/v1/targets/checkout/kill`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ reason: "console test" }) });
    expect(kill.status).toBe(200);
    const killedEvent = (e: Sse) => e.event === "targets" && (JSON.parse(e.data) as { targets: { target: string; killed: boolean }[] }).targets.some((t) => t.target === "checkout" && t.killed);
    const after = await events.until(killedEvent);
    expect(after.length).toBeGreaterThan(0);
    // A console that opens now, beside the first, reads the same state from its first event.
    const second = await fetch(`${daemon.url}/v1/console/stream`, { headers: auth, signal: controller.signal });
    expect((await eventsOf(second).until((e) => e.event === "targets")).some(killedEvent)).toBe(true);
    controller.abort();
    const resume = await fetch(`${daemon.url}/v1/targets/checkout/resume`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: "{}" });
    expect(resume.status).toBe(200);
  });

  it("the target view carries what the console draws: arms with parents, allocation periods, the experiment's start", async () => {
    type View = { experiment: { startedAt: number | null; periods: { from: number; weights: number[] }[]; arms: { version: string; parent: string | null; role: string; primary: unknown }[] } | null };
    let detail: View = { experiment: null };
    // Resumed above: the next tick proposes a new generation.
    await waitFor(async () => (detail = (await (await fetch(`${daemon.url}/v1/targets/checkout`, { headers: auth })).json()) as View).experiment !== null, 15_000, "a live experiment");
    const e = detail.experiment as NonNullable<typeof detail.experiment>;
    expect(e.periods.length).toBeGreaterThan(0);
    expect(e.periods[0]?.weights.length).toBe(e.arms.length);
    expect(e.arms[0]?.role).toBe("baseline");
    expect(e.arms[0]?.primary).toBeNull();
    expect(e.arms.slice(1).every((a) => typeof a.parent === "string")).toBe(true);
  });
});

describe("a viewer token", () => {
  it("reads the admin API and the console's stream, is told it is a viewer, and can act on nothing", async () => {
    const daemon = await startTestDaemon(workspace(), { args: ["--admin-token", ADMIN, "--viewer-token", "look-only"] });
    try {
      const viewer = { authorization: "Bearer look-only" };
      const summaries = await fetch(`${daemon.url}/v1/console/summaries`, { headers: viewer });
      expect(summaries.status).toBe(200);
      expect(summaries.headers.get("x-evolvd-role")).toBe("viewer");
      expect((await fetch(`${daemon.url}/v1/targets/checkout/history`, { headers: viewer })).status).toBe(200);
      const controller = new AbortController();
      const stream = await fetch(`${daemon.url}/v1/console/stream`, { headers: viewer, signal: controller.signal });
      expect(stream.status).toBe(200);
      controller.abort();
      for (const action of ["kill", "pause", "resume", "rollback", "candidates"]) {
        const answer = await fetch(`${daemon.url}/v1/targets/checkout/${action}`, { method: "POST", headers: { ...viewer, "content-type": "application/json" }, body: JSON.stringify(action === "rollback" ? { version: "0".repeat(64) } : action === "candidates" ? { values: { retry: { limit: 3 } } } : {}) });
        expect(answer.status, action).toBe(403);
        expect(((await answer.json()) as { errorDetails: string }).errorDetails).toContain("only reads");
      }
      const detail = (await (await fetch(`${daemon.url}/v1/targets/checkout`, { headers: auth })).json()) as { killed: boolean; drafts: unknown[] };
      expect(detail.killed).toBe(false);
      expect(detail.drafts).toEqual([]);
      // The admin token is told it is the admin (the console then offers the actions).
      expect((await fetch(`${daemon.url}/v1/console/summaries`, { headers: auth })).headers.get("x-evolvd-role")).toBe("admin");
    } finally {
      await daemon.stop();
    }
  });

  it("is refused as a setting without an admin token, or equal to it", async () => {
    const { loadSettings } = await import("../../src/daemon/settings.js");
    expect(() => loadSettings({ env: {}, args: ["--viewer-token", "v"] })).toThrow(/viewer-token: needs an admin token/);
    expect(() => loadSettings({ env: {}, args: ["--viewer-token", "same", "--admin-token", "same"] })).toThrow(/viewer-token: must differ/);
  });
});
