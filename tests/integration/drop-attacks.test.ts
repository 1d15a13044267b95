import { execFileSync, spawn } from "node:child_process";
import { readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Daemon } from "../../src/daemon/daemon.js";
import { CHECKOUT, ROOT, startTestDaemon, waitFor, workspace } from "../helpers.js";

/** The checkout target file under another name, changed by `edit`, without screening. */
function targetText(name: string, edit: (doc: Record<string, any>) => void = () => undefined): string {
  const doc = JSON.parse(readFileSync(CHECKOUT, "utf8"));
  doc.target = name;
  doc.policy.screening.scenario = null;
  edit(doc);
  return JSON.stringify(doc);
}

describe("drop files that used to throw, block or leak", () => {
  let dir: string;
  let daemon: Daemon;
  const targets = async () => (await fetch(daemon.url + "/v1/targets")).json();
  const refusal = async (file: string): Promise<string> => ((await targets()).rejectedDrops.find((r: { file: string }) => r.file.endsWith(file))?.problems ?? []).join("; ");

  beforeAll(async () => {
    dir = workspace();
    const deep = "{".repeat(0) + '{"a":'.repeat(10_000) + '{"format":"Boolean"}' + "}".repeat(10_000);
    writeFileSync(join(dir, "configs", "deep.json"), targetText("deep").replace('"schema":{', `"schema":{"deep":${deep},`));
    writeFileSync(join(dir, "configs", "deep-baseline.json"), targetText("deepb").replace('"baseline":{', `"baseline":{"deep":${"[".repeat(50_000)}${"]".repeat(50_000)},`));
    writeFileSync(join(dir, "configs", "op.json"), targetText("op", (d) => (d.mutations[2].op = "constructor")));
    writeFileSync(join(dir, "configs", "huge-value.json"), targetText("huge", (d) => (d.description = 5)).replace('"description":5', `"description":5,"junk":"${"y".repeat(200_000)}"`));
    symlinkSync("/etc/passwd", join(dir, "configs", "passwd.json"));
    writeFileSync(join(dir, "configs", "zz-good.json"), targetText("zz-good"));
    daemon = await startTestDaemon(dir);
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it("refuses each with a reason in rejectedDrops and applies the good files after them", async () => {
    const loaded = (await targets()).targets.map((t: { target: string }) => t.target);
    expect(loaded).toEqual(["checkout", "zz-good"]);
    expect(await refusal("deep.json")).toMatch(/nested more than 32 levels deep/);
    expect(await refusal("deep-baseline.json")).toMatch(/baseline\.deep.*nested more than 32 levels deep/);
    expect(await refusal("op.json")).toMatch(/mutations\[2\]: op: "constructor" is not one of swap, nudge, flip, reweight, substitute/);
    expect(await refusal("passwd.json")).toMatch(/passwd\.json is a link to a file outside the drop folder/);
  });

  it("never echoes a file's content or a whole huge value in a reason", async () => {
    const all = JSON.stringify((await targets()).rejectedDrops);
    expect(all).not.toMatch(/root:/);
    expect(all).not.toContain("y".repeat(400));
    expect(await refusal("huge-value.json")).toMatch(/unknown top-level field "junk"/);
  });

  it("stops listing a rejection once the file is fixed, even back to the content in force", async () => {
    const good = readFileSync(join(dir, "configs", "zz-good.json"), "utf8");
    writeFileSync(join(dir, "configs", "zz-good.json"), good.replace('"maxUnitsPerArm":40000', '"maxUnitsPerArm":"40000abc"'));
    await daemon.rescan();
    await daemon.rescan();
    expect(await refusal("zz-good.json")).toMatch(/maxUnitsPerArm/);
    writeFileSync(join(dir, "configs", "zz-good.json"), good);
    await daemon.rescan();
    await daemon.rescan();
    expect(await refusal("zz-good.json")).toBe("");
  });
});

describe("a FIFO named x.json in the drop folder (a real process)", () => {
  it("is refused without wedging the watcher: kill files, new targets and SIGHUP still work, SIGTERM exits", async () => {
    const dir = workspace();
    const child = spawn("node", [join(ROOT, "bin", "evolvd.js"), "start", "--port", "0", "--data-dir", "data", "--drop-dir", "configs", "--log-level", "info"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
    try {
      // Generous waits: on two shared cores beside the crash-point test a scan can take seconds.
      // A child that died fails at once, naming its exit and last output, instead of timing out.
      const alive = (what: string) => {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the daemon exited (${child.exitCode ?? child.signalCode}) before ${what}: ${out.slice(-600)}`);
      };
      await waitFor(() => (alive("it started"), out.includes("evolvd started")), 30_000, "evolvd started");
      const url = /"url":"([^"]+)"/.exec(out)?.[1] as string;
      await waitFor(async () => (await fetch(url + "/readyz")).status === 200, 30_000, "ready");
      execFileSync("mkfifo", [join(dir, "configs", "x.json")]);
      child.kill("SIGHUP");
      await waitFor(() => (alive("the FIFO was refused"), out.includes("x.json is not a regular file but a FIFO")), 30_000, "FIFO refused");
      writeFileSync(join(dir, "configs", "checkout.kill"), "");
      child.kill("SIGHUP");
      await waitFor(async () => (await (await fetch(url + "/v1/targets")).json()).targets[0].killed === true, 30_000, "kill file applied");
      writeFileSync(join(dir, "configs", "second.json"), targetText("second"));
      child.kill("SIGHUP");
      await waitFor(async () => (await (await fetch(url + "/v1/targets")).json()).targets.length === 2, 30_000, "new target applied");
      expect((await fetch(url + "/readyz")).status).toBe(200);
      rmSync(join(dir, "configs", "x.json"));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  }, 150_000);
});
