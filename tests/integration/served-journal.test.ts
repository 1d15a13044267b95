import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startTestDaemon, waitFor, workspace } from "../helpers.js";
import { fastWorkspace } from "../scale-out.js";

describe("who was served what, across a restart", () => {
  it("is journaled apart from the checkpoint and replayed when the experiment resumes", async () => {
    const dir = workspace();
    let daemon = await startTestDaemon(dir);
    const post = (path: string, body: unknown) => fetch(daemon.url + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const units = Array.from({ length: 200 }, (_, i) => `journal-${i}`);
    for (const unit of units) expect((await post("/ofrep/v1/evaluate/flags/checkout", { context: { targetingKey: unit } })).status).toBe(200);
    const journal = join(dir, "data", "targets", "checkout", "served.g1.ndjson");
    // Appended about once a second while the daemon runs, not only at stop.
    // One line per row (unit and arm), keyed by the 64-bit key of the unit: ids are not stored.
    const rows = () => new Set(readFileSync(journal, "utf8").split("\n").filter(Boolean).map((line) => (JSON.parse(line) as [string])[0]));
    await waitFor(() => rows().size >= 200, 5_000, "journal appended");
    expect(readFileSync(journal, "utf8")).not.toContain("journal-");
    const before = daemon.targets.runtime("checkout")?.experiment?.statistics().units;
    await daemon.stop();
    expect(readFileSync(join(dir, "data", "targets", "checkout", "checkpoint.json"), "utf8")).not.toContain("journal-");

    daemon = await startTestDaemon(dir);
    // Outcomes without an arm find their units, and returning units are not counted again.
    const outcomes = units.map((unit) => ({ type: "outcome", target: "checkout", unit, ts: 1, metrics: { conversion: 1 } }));
    expect(await (await post("/v1/events", outcomes)).json()).toMatchObject({ accepted: 200, rejected: 0 });
    for (const unit of units.slice(0, 50)) await post("/ofrep/v1/evaluate/flags/checkout", { context: { targetingKey: unit } });
    expect(daemon.targets.runtime("checkout")?.experiment?.statistics().units).toEqual(before);
    await daemon.stop();
  });
});

describe("CUPED values, across a restart", () => {
  it("are kept when an experiment ends and read back at restart, so the next experiment stays adjusted", async () => {
    const dir = fastWorkspace({ analysisEveryMs: 3_600_000, canary: { steps: [0.5], minUnitsPerStep: 1e6 } });
    let daemon = await startTestDaemon(dir);
    const post = (path: string, body: unknown) => fetch(daemon.url + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const units = Array.from({ length: 300 }, (_, i) => `returning-${i}`);
    const visit = async () => {
      const events = units.flatMap((unit, i) => [
        { type: "exposure", target: "checkout", unit, ts: 1 },
        { type: "outcome", target: "checkout", unit, ts: 1, metrics: { conversion: i % 3 === 0 ? 1 : 0 } },
      ]);
      expect(await (await post("/v1/events", events)).json()).toMatchObject({ accepted: 600, rejected: 0 });
    };
    await visit();
    const first = daemon.targets.runtime("checkout")?.experiment?.id;
    // Ending the experiment keeps each unit's conversion rate for the next one.
    expect((await post("/v1/targets/checkout/kill", {})).status).toBe(200);
    expect((await post("/v1/targets/checkout/resume", {})).status).toBe(200);
    await waitFor(() => { const id = daemon.targets.runtime("checkout")?.experiment?.id; return id !== undefined && id !== first; }, 10_000, "the next experiment");
    const covariates = join(dir, "data", "targets", "checkout", "covariates.bin");
    await waitFor(() => existsSync(covariates), 5_000, "covariates.bin written");
    await visit();
    const returning = () => daemon.targets.runtime("checkout")?.experiment?.statistics().periods.map((p) => p.returning);
    const before = returning();
    expect(before?.[0]?.flatMap((arms) => Object.values(arms)).reduce((n, m) => n + m.n, 0)).toBe(300);
    await daemon.stop();

    daemon = await startTestDaemon(dir);
    expect(returning()).toEqual(before);
    await daemon.stop();
    // A file that does not read back leaves the experiment unadjusted, never mixed.
    writeFileSync(covariates, "garbage");
    daemon = await startTestDaemon(dir);
    expect(returning()?.every((r) => r === undefined)).toBe(true);
    expect(daemon.targets.runtime("checkout")?.experiment?.statistics().units.reduce((a, b) => a + b, 0)).toBe(300);
    await daemon.stop();
  }, 60_000);
});
