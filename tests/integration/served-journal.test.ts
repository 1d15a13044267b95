import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startTestDaemon, waitFor, workspace } from "../helpers.js";

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
