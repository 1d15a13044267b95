import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freePort, ROOT, waitFor } from "../helpers.js";

describe("evolvd start --demo", () => {
  it("runs a daemon on a fresh workspace and feeds it simulated users over HTTP until it is stopped", async () => {
    const port = await freePort();
    const child = spawn("node", [join(ROOT, "bin", "evolvd.js"), "start", "--demo", "--port", String(port), "--demo-rate", "300"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((done) => child.on("exit", done));
    try {
      // Its progress lines say how many visits went in, how many outcomes the daemon took, and the experiment's state.
      await waitFor(() => /"msg":"demo: [\d,]+ visits so far; checkout\/g1 (canary|running) with [\d,]+ units/.test(out), 60_000, "a demo progress line");
      const progress = out.split("\n").filter((l) => l.includes('"msg":"demo: ') && l.includes("visits so far")).map((l) => JSON.parse(l) as { visits: number; outcomesAccepted: number });
      expect(progress[0]?.visits).toBeGreaterThanOrEqual(3000);
      expect(progress[0]?.outcomesAccepted).toBeGreaterThan(0.9 * (progress[0]?.visits ?? 0));
      const targets = (await (await fetch(`http://127.0.0.1:${port}/v1/targets/checkout`)).json()) as { experiment: { arms: { units: number }[] } };
      expect(targets.experiment.arms.reduce((n, a) => n + a.units, 0)).toBeGreaterThan(1000);
      expect(out).toMatch(/"msg":"evolvd is running: open the console at http:\/\/127\.0\.0\.1:\d+\/ \(or `evolvd status --url/);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  }, 90_000);
});
