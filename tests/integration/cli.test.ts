import { execFile } from "node:child_process";
import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { CHECKOUT, ROOT, runCli, startTestDaemon, tempDir, waitFor, workspace } from "../helpers.js";

const exec = promisify(execFile);
const BIN = join(ROOT, "bin", "evolvd.js");

describe("evolvd simulate", () => {
  it("prints byte-identical JSON for the same seed on two runs of the real command", async () => {
    const args = [BIN, "simulate", "simulations/checkout-aa.json", "--seed", "7", "--json"];
    const [a, b] = await Promise.all([exec("node", args, { cwd: ROOT, maxBuffer: 1 << 26 }), exec("node", args, { cwd: ROOT, maxBuffer: 1 << 26 })]);
    expect(a.stdout.length).toBeGreaterThan(1000);
    expect(a.stdout).toBe(b.stdout);
    expect(JSON.parse(a.stdout).seed).toBe("7");
  });

  it("another seed gives another trajectory", async () => {
    const seven = await runCli(["simulate", "simulations/checkout-aa.json", "--seed", "7", "--json"]);
    const eight = await runCli(["simulate", "simulations/checkout-aa.json", "--seed", "8", "--json"]);
    expect(seven.code).toBe(0);
    expect(eight.code).toBe(0);
    const g7 = JSON.parse(seven.stdout).generations;
    const g8 = JSON.parse(eight.stdout).generations;
    expect(JSON.stringify(g7)).not.toBe(JSON.stringify(g8));
    expect(g7[0].arms.map((a: { version: string }) => a.version)).not.toEqual(g8[0].arms.map((a: { version: string }) => a.version));
  });

  it("refuses a scenario whose target file is invalid, naming file and path, writing nothing", async () => {
    const dir = tempDir();
    const bad = JSON.parse(readFileSync(CHECKOUT, "utf8"));
    bad.baseline.retry.limit = 99;
    writeFileSync(join(dir, "bad-target.json"), JSON.stringify(bad));
    const scenario = JSON.parse(readFileSync(join(ROOT, "simulations", "checkout-aa.json"), "utf8"));
    scenario.target = "bad-target.json";
    writeFileSync(join(dir, "scenario.json"), JSON.stringify(scenario));
    const data = join(dir, "data");
    const result = await runCli(["simulate", join(dir, "scenario.json"), "--data-dir", data]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/bad-target\.json: baseline\.retry\.limit: must be within \[0, 8\]/);
    expect(() => readdirSync(data)).toThrow();
  });

  it("refuses a scenario with a malformed model and names the field", async () => {
    const dir = tempDir();
    const scenario = JSON.parse(readFileSync(join(ROOT, "simulations", "checkout-aa.json"), "utf8"));
    scenario.target = CHECKOUT;
    scenario.model.conversion.distribution = "poisson";
    scenario.traffic.segments[0].share = 0.9;
    writeFileSync(join(dir, "scenario.json"), JSON.stringify(scenario));
    const result = await runCli(["simulate", join(dir, "scenario.json")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/model\.conversion\.distribution: must be bernoulli, normal or lognormal/);
    expect(result.stderr).toMatch(/traffic\.segments: shares must sum to 1/);
  });
});

describe("history, diff and rollback on a data folder", () => {
  it("records a run, diffs versions and rolls back to any earlier version", async () => {
    const dir = tempDir();
    cpSync(join(ROOT, "configs"), join(dir, "configs"), { recursive: true });
    const scenario = JSON.parse(readFileSync(join(ROOT, "simulations", "checkout-better-region.json"), "utf8"));
    scenario.policy = { maxGenerations: 3 };
    writeFileSync(join(dir, "short.json"), JSON.stringify({ ...scenario, target: "configs/checkout.json" }));
    const sim = await runCli(["simulate", "short.json", "--data-dir", "data", "--json"], dir);
    expect(sim.code).toBe(0);
    const report = JSON.parse(sim.stdout);
    expect(report.commits).toBeGreaterThanOrEqual(1);
    const initial: string = report.baseline.initial.version;
    const final: string = report.baseline.final.version;

    const history = await runCli(["history", "checkout", "--data-dir", "data"], dir);
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/baseline\s+\w{12}\s+commit/);
    expect(history.stdout).toContain(`current baseline of checkout: ${final}`);

    const diff = await runCli(["diff", initial.slice(0, 10), final, "--data-dir", "data", "--json"], dir);
    expect(diff.code).toBe(0);
    const changes = JSON.parse(diff.stdout).changes as { path: string }[];
    expect(changes.length).toBeGreaterThan(0);

    const before = JSON.parse((await runCli(["history", "checkout", "--data-dir", "data", "--json"], dir)).stdout);
    const rollback = await runCli(["rollback", "checkout", initial.slice(0, 12), "--data-dir", "data", "--reason", "test"], dir);
    expect(rollback.code).toBe(0);
    const after = JSON.parse((await runCli(["history", "checkout", "--data-dir", "data", "--json"], dir)).stdout);
    expect(after.at(-1)).toMatchObject({ kind: "baseline", cause: "rollback", version: initial, previous: final, reason: "test" });
    // Nothing was deleted: every entry before the rollback is still there.
    expect(after.slice(0, -1)).toEqual(before);

    const again = await runCli(["rollback", "checkout", initial, "--data-dir", "data"], dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already the baseline/);
    const unknown = await runCli(["rollback", "checkout", "abcdef0123", "--data-dir", "data"], dir);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no version abcdef0123/);

    // The next run continues from the rolled-back baseline.
    const resumed = JSON.parse((await runCli(["simulate", "short.json", "--data-dir", "data", "--json"], dir)).stdout);
    expect(resumed.baseline.initial.version).toBe(initial);
    expect(resumed.generations[0].generation).toBe(report.generations.length + 1);
  });

  it("reads the same through a daemon (--url): the whole history, id prefixes for diff and rollback", async () => {
    const dir = workspace();
    const daemon = await startTestDaemon(dir);
    try {
      const url = daemon.url;
      await waitFor(async () => (await runCli(["history", "checkout", "--url", url, "--json"], dir)).stdout.includes('"transition"'), 15_000, "a transition in the history");
      const local = JSON.parse((await runCli(["history", "checkout", "--data-dir", join(dir, "data"), "--json"], dir)).stdout);
      const remote = JSON.parse((await runCli(["history", "checkout", "--url", url, "--json"], dir)).stdout);
      expect(remote.slice(0, local.length)).toEqual(local);
      const table = (await runCli(["history", "checkout", "--url", url], dir)).stdout;
      expect(table).toMatch(/experiment\s+checkout\/g1\s+proposed → screening/);
      expect(table).toMatch(/baseline\s+\w{12}\s+initial/);
      const versions = remote.filter((e: { kind: string }) => e.kind === "version").map((e: { version: { id: string } }) => e.version.id) as string[];
      const [first, second] = [versions[0] as string, versions[1] as string];
      const diff = await runCli(["diff", first.slice(0, 8), second.slice(0, 10), "--url", url, "--json"], dir);
      expect(diff.code).toBe(0);
      expect(JSON.parse(diff.stdout)).toMatchObject({ from: first, to: second });
      const rollback = await runCli(["rollback", "checkout", second.slice(0, 12), "--url", url, "--reason", "prefix"], dir);
      expect(rollback.stdout).toContain(`→ ${second.slice(0, 12)}`);
      expect(rollback.code).toBe(0);
      const bad = await runCli(["diff", "zz", second, "--url", url], dir);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/not a version id/);
    } finally {
      await daemon.stop();
    }
  }, 60_000);

  it("says which targets exist when asked for an unknown one", async () => {
    const result = await runCli(["history", "nobody", "--data-dir", tempDir()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no history for target "nobody"/);
  });
});

describe("evolvd mutate", () => {
  it("prints the same candidates for the same seed, each with its mutations", async () => {
    const a = await runCli(["mutate", "configs/checkout.json", "--seed", "7", "--count", "3", "--json"]);
    const b = await runCli(["mutate", "configs/checkout.json", "--seed", "7", "--count", "3", "--json"]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const out = JSON.parse(a.stdout);
    expect(out.candidates).toHaveLength(3);
    for (const c of out.candidates) expect(c.mutations.length).toBeGreaterThan(0);
  });

  it("exits 2 on a bad --count", async () => {
    const result = await runCli(["mutate", "configs/checkout.json", "--seed", "7", "--count", "zero"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--count/);
  });
});
