import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stageVersionOf } from "../../src/sdk/index.js";
import { ROOT } from "../helpers.js";

describe("npm run example:stages", () => {
  it("names flat's version as shop.json's baseline", async () => {
    const pricing = join(ROOT, "examples", "stages", "pricing.mjs");
    const { flat } = (await import(pricing)) as { flat: (cart: unknown, ctx: unknown) => unknown };
    const shop = JSON.parse(readFileSync(join(ROOT, "examples", "stages", "shop.json"), "utf8"));
    expect(shop.baseline.pricing).toBe(stageVersionOf(flat));
  });

  it("runs against a daemon of its own: the buggy version is pulled, the better one commits, side effects are in the history", async () => {
    const child = spawn("node", [join(ROOT, "examples", "stages", "service.mjs")], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, EVOLVD_URL: "" } });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const code = await new Promise<number | null>((done) => child.on("exit", done));
    expect(code, out).toBe(0);
    const lines = out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, any>);
    const steps = lines.map((l) => l.step);
    expect(steps.filter((s) => s === "registered")).toHaveLength(3);
    expect(lines.find((l) => l.step === "pulled")?.reason).toMatch(/circuit breaker: error/);
    expect(lines.find((l) => l.step === "committed")?.pricing).toBe("bulk");
    const effects = lines.find((l) => l.step === "side_effects")?.byVersion;
    expect(effects.bulk["pricing:db.write"]).toBeGreaterThan(100);
    expect(effects.surge["pricing:http.call"]).toBeGreaterThan(10);
    expect(lines.find((l) => l.step === "sdk")?.events.dropped).toBe(0);
  }, 120_000);
});
