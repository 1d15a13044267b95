import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers.js";

const run = promisify(execFile);

describe("npm run example:components", () => {
  it("serves requests through the component while it swaps variants, carrying the state; both broken modules revert", async () => {
    const { stdout } = await run("node", [join(ROOT, "examples", "components", "service.mjs")], { cwd: ROOT, timeout: 60_000 });
    const lines = stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const swaps = lines.filter((l) => l.step === "swap");
    for (const line of [...swaps, lines.find((l) => l.step === "start")]) expect(Object.keys(line ?? {})).toEqual(expect.arrayContaining(["step", "component", "from", "to", "statePreserved", "reverted", "ms"]));
    expect(swaps.map((s) => [s.from, s.to, s.reverted, s.statePreserved])).toEqual([
      ["popularity", "explore", false, true],
      ["explore", "broken-state", true, false],
      ["explore", "shrunk", false, true],
      ["shrunk", "broken-start", true, false],
      ["shrunk", "popularity", false, true],
    ]);
    expect(swaps.filter((s) => s.reverted).map((s) => s.failedAt)).toEqual(["initialize", "instantiate"]);
    // Every request observed its item once: the impressions carried across all swaps are the requests served.
    for (const s of swaps) expect(Number(s.impressions)).toBe(s.served);
    const done = lines.at(-1) as { step: string; served: number; failed: number; impressions: string };
    expect(done).toMatchObject({ step: "done", failed: 0 });
    expect(Number(done.impressions)).toBe(done.served);
    expect(done.served).toBeGreaterThan(10_000);
  }, 60_000);
});
