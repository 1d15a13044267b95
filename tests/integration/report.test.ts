import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { HistoryEntry } from "../../src/domain/history.js";
import { reportHtml, type ReportData } from "../../src/server/report-page.js";
import { runCli, startTestDaemon, tempDir, workspace } from "../helpers.js";

const OPEN = '<script type="application/json" id="evolvd-report">';

/** The data a report embeds, read back the way the page reads it (up to the first `</script>`). */
function embedded(html: string): ReportData {
  const start = html.indexOf(OPEN);
  expect(start).toBeGreaterThan(0);
  return JSON.parse(html.slice(start + OPEN.length, html.indexOf("</script>", start))) as ReportData;
}

describe("evolvd report and simulate --report", () => {
  // One simulation's data folder and report, shared by the tests below (a run takes seconds).
  const dir = tempDir();
  beforeAll(async () => {
    const run = await runCli(["simulate", "simulations/checkout-better-region.json", "--seed", "3", "--data-dir", join(dir, "data"), "--report", join(dir, "a.html")]);
    expect(run.code, run.stderr).toBe(0);
  }, 60_000);

  it("writes one self-contained file from a data folder: every script and style inlined, the history embedded", async () => {
    const out = join(dir, "checkout.html");
    const run = await runCli(["report", "checkout", "--data-dir", join(dir, "data"), "--out", out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^wrote .*checkout\.html: target checkout, \d+ history entries, from data folder /);
    const html = readFileSync(out, "utf8");
    // Nothing is fetched: no script, stylesheet or image from anywhere.
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet|src="http|href="http/);
    expect(html).toContain("uPlot");
    const data = embedded(html);
    expect(data.kind).toBe("evolvd-report");
    expect(data.targets[0]?.detail).toBeNull();
    const history = data.targets[0]?.history as HistoryEntry[];
    expect(history.some((e) => e.kind === "baseline" && e.cause === "commit")).toBe(true);
    // Decisions carry the allocation over time, which the report's plot draws.
    const decided = history.find((e) => e.kind === "transition" && (e.to === "committed" || e.to === "inconclusive")) as { evidence?: { allocation?: unknown[] } } | undefined;
    expect(decided?.evidence?.allocation?.length).toBeGreaterThan(0);
  });

  it("from a daemon (--url) adds the live experiment; the same seed's simulation report is the same bytes", async () => {
    const daemon = await startTestDaemon(workspace(), { args: ["--admin-token", "t0ken"] });
    try {
      const out = join(tempDir(), "live.html");
      const refused = await runCli(["report", "checkout", "--url", daemon.url, "--out", out]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/401/);
      const run = await runCli(["report", "checkout", "--url", daemon.url, "--token", "t0ken", "--out", out]);
      expect(run.code, run.stderr).toBe(0);
      const data = embedded(readFileSync(out, "utf8"));
      expect((data.targets[0]?.detail as { target: string }).target).toBe("checkout");
      expect((data.targets[0]?.summary as { target: string }).target).toBe("checkout");
      expect(data.source).toBe(daemon.url);
    } finally {
      await daemon.stop();
    }
    // In memory this time: the same seed writes the same bytes, whichever store kept the history.
    expect((await runCli(["simulate", "simulations/checkout-better-region.json", "--seed", "3", "--report", join(dir, "b.html")])).code).toBe(0);
    expect(readFileSync(join(dir, "a.html")).equals(readFileSync(join(dir, "b.html")))).toBe(true);
  }, 90_000);

  it("says what is wrong with its arguments", async () => {
    const empty = tempDir();
    const both = await runCli(["report", "checkout", "--data-dir", empty, "--url", "http://127.0.0.1:1", "--out", join(dir, "x.html")]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--data-dir or --url, not both");
    const none = await runCli(["report", "checkout", "--data-dir", empty, "--out", join(empty, "x.html")]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no history for target "checkout"');
    expect((await runCli(["report", "Not A Target", "--out", "x.html"])).code).toBe(2);
    expect((await runCli(["report", "checkout", "--data-dir", join(dir, "data")])).code).toBe(2); // --out is required
    const unwritable = await runCli(["report", "checkout", "--data-dir", join(dir, "data"), "--out", join(empty, "no", "such", "folder", "r.html")]);
    expect(unwritable.code).toBe(1);
    expect(unwritable.stderr).toContain("cannot write the report to");
  }, 60_000);

  it("embeds hostile text so that it stays data: a note with </script> cannot end the element or run", () => {
    const note = `</script><script>alert("owned")</script><!-- $& $' \u2028`;
    const history: HistoryEntry[] = [{ kind: "draft", at: 1, version: "a".repeat(64), note }];
    const data: ReportData = { kind: "evolvd-report", generatedAt: 1, source: "test </script>", targets: [{ summary: { target: "t" }, detail: null, history }] };
    const html = reportHtml(data);
    expect(embedded(html)).toEqual(data);
    expect(html).not.toContain('<script>alert("owned")');
  });
});
