import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { currentBaseline, versionsOf } from "../../src/domain/history.js";
import { seededRng } from "../../src/random/seeded-rng.js";
import { FileStore } from "../../src/store/file-store.js";
import { freePort, ROOT, waitFor } from "../helpers.js";
import { doubleDecisions, fastWorkspace } from "../scale-out.js";

/** Generations that decide within about a second: candidates win by far on the traffic below. */
const FAST = {
  analysisEveryMs: 100,
  candidatesPerGeneration: 2,
  liveCandidates: 1,
  minUnitsPerArm: 60,
  maxUnitsPerArm: 3000,
  sequentialTuning: 300,
  canary: { steps: [0.5], minUnitsPerStep: 30 },
  allocation: { mode: "fixed" },
};
const KILLS = 50;

interface Served {
  readonly versions: Set<string>;
  readonly baselines: Set<string>;
}

/** Evaluates and reports outcomes (candidates convert far more) until `stop`; records what was served. */
async function drive(url: string, served: Served, stop: () => boolean, seed: string): Promise<void> {
  const rng = seededRng(seed);
  const loop = async (lane: number) => {
    for (let n = 0; !stop(); n++) {
      const unit = `${seed}-${lane}-${n}`;
      const answer = await fetch(`${url}/ofrep/v1/evaluate/flags/checkout`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ context: { targetingKey: unit } }) }).catch(() => null);
      if (!answer?.ok) continue;
      const body = (await answer.json().catch(() => null)) as { metadata: { version: string; arm: string } } | null;
      if (!body) continue;
      // Recorded once the answer is in: what a client has seen must survive any crash after it.
      served.versions.add(body.metadata.version);
      if (body.metadata.arm === "baseline") served.baselines.add(body.metadata.version);
      const conversion = rng.next() < (body.metadata.arm === "baseline" ? 0.1 : 0.7) ? 1 : 0;
      const outcome = { type: "outcome", target: "checkout", unit, ts: 1_790_000_000_000, arm: body.metadata.version, metrics: { conversion, latency_ms: 180, error: 0 } };
      await fetch(`${url}/v1/events`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(outcome) }).catch(() => null);
    }
  };
  const rollbacks = async () => {
    while (!stop()) {
      await new Promise((r) => setTimeout(r, 150 + rng.int(300)));
      const known = [...served.versions];
      const version = known[rng.int(known.length)];
      if (version) await fetch(`${url}/v1/targets/checkout/rollback`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ version, reason: "crash test" }) }).catch(() => null);
    }
  };
  await Promise.all([loop(0), loop(1), loop(2), loop(3), rollbacks()]);
}

function start(dir: string, port: number): { child: ChildProcess; output: () => string } {
  const child = spawn("node", [join(ROOT, "bin", "evolvd.js"), "start", "--port", String(port), "--data-dir", "data", "--drop-dir", "configs", "--log-level", "warn"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, EVOLVD_RESCAN_MS: "0" } });
  let out = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (out += d));
  return { child, output: () => out };
}

describe("SIGKILL at random moments during commits and rollbacks", () => {
  it(`loses nothing that was served, over ${KILLS} kills`, async () => {
    const dir = fastWorkspace(FAST);
    const store = new FileStore(join(dir, "data"));
    const served: Served = { versions: new Set(), baselines: new Set() };
    const rng = seededRng("crash-points");
    const problems: string[] = [];
    let commits = 0;
    let rollbacks = 0;
    for (let round = 0; round < KILLS; round++) {
      // A free port can be taken by another process before the daemon listens on it (tests run
      // side by side): that start is tried again on another port; any other exit fails.
      let daemon: ReturnType<typeof start> | undefined;
      let url = "";
      let exited: Promise<unknown> = Promise.resolve();
      for (let attempt = 0; attempt < 3; attempt++) {
        const port = await freePort();
        const candidate = start(dir, port);
        url = `http://127.0.0.1:${port}`;
        exited = new Promise((done) => candidate.child.on("exit", done));
        await waitFor(async () => (await fetch(`${url}/readyz`).catch(() => null))?.status === 200 || candidate.child.exitCode !== null, 20_000, `daemon ready (round ${round})`);
        daemon = candidate;
        if (candidate.child.exitCode === null || !candidate.output().includes("EADDRINUSE")) break;
      }
      if (!daemon) throw new Error("no daemon started");
      expect(daemon.child.exitCode, daemon.output()).toBeNull();
      let stop = false;
      const driving = drive(url, served, () => stop, `r${round}`);
      await new Promise((r) => setTimeout(r, 400 + rng.int(2000)));
      daemon.child.kill("SIGKILL");
      await exited;
      stop = true;
      await driving;

      // After every kill: the history parses, its baseline is a stored version, and every
      // version and baseline served before the kill is in it.
      const history = await store.read("checkout");
      const versions = versionsOf(history);
      const baselines = new Set(history.flatMap((e) => (e.kind === "baseline" ? [e.version] : [])));
      const baseline = currentBaseline(history);
      if (!baseline || !versions.has(baseline)) problems.push(`round ${round}: baseline ${baseline} is not a stored version`);
      for (const v of served.versions) if (!versions.has(v)) problems.push(`round ${round}: served version ${v.slice(0, 12)} missing from the history`);
      for (const b of served.baselines) if (!baselines.has(b)) problems.push(`round ${round}: served baseline ${b.slice(0, 12)} was never a baseline in the history`);
      problems.push(...doubleDecisions(history as never).map((d) => `round ${round}: ${d}`));
      commits = history.filter((e) => e.kind === "baseline" && e.cause === "commit").length;
      rollbacks = history.filter((e) => e.kind === "baseline" && e.cause === "rollback").length;
    }
    console.log(`crash points: ${KILLS} SIGKILLs, ${commits} commits and ${rollbacks} rollbacks in the history, ${served.versions.size} versions and ${served.baselines.size} baselines served`);
    expect(problems).toEqual([]);
    // The kills did land during decisions: the runs committed and rolled back many times.
    expect(commits).toBeGreaterThan(10);
    expect(rollbacks).toBeGreaterThan(10);
  }, 600_000);
});
