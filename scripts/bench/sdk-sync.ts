/**
 * How fast operators' actions reach a connected SDK: one real `evolvd start` process on
 * loopback, one SDK client in this process syncing over the push channel. Each round pauses the
 * live experiment (POST …/pause) and times until client.evaluate serves no experiment, then
 * resumes it and times until the experiment is back; at the end a kill, timed until the
 * baseline. Against the daemon's check period (sdkStreamMs, 50 ms) plus the network.
 *
 *   npm run bench:sdk-sync            # table
 *   npm run bench:sdk-sync -- --json
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createClient } from "../../src/sdk/index.js";
import { startDaemonProcess } from "./daemon-process.js";

const json = process.argv.includes("--json");
const ROUNDS = 30;
const ROOT = resolve(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "evolvd-bench-"));
cpSync(join(ROOT, "configs"), join(dir, "configs"), { recursive: true });
// No screening and hour-long ticks: the experiment goes live at once and nothing decides during the rounds.
const file = join(dir, "configs", "checkout.json");
const target = JSON.parse(readFileSync(file, "utf8"));
writeFileSync(file, JSON.stringify({ ...target, policy: { ...target.policy, screening: { scenario: null }, analysisEveryMs: 3_600_000 } }));

const { daemon, url } = await startDaemonProcess(dir);
const client = createClient({ url, targets: ["checkout"] });
await client.ready(10_000);

/** Milliseconds until `check` holds, polled on every turn of the event loop. */
async function until(check: () => boolean, what: string): Promise<number> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > 10_000) throw new Error(`${what}: not within 10 s`);
    await new Promise((r) => setImmediate(r));
  }
  return performance.now() - start;
}
const live = () => client.evaluate("checkout", "probe").experiment !== null;
const act = async (action: string) => {
  const response = await fetch(`${url}/v1/targets/checkout/${action}`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  if (!response.ok) throw new Error(`${action}: HTTP ${response.status}`);
};

await until(live, "the first experiment");
const pause: number[] = [];
const resume: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  // Timed from just before the request: the figure includes the admin call itself.
  let start = performance.now();
  await act("pause");
  await until(() => !live(), "pause");
  pause.push(performance.now() - start);
  start = performance.now();
  await act("resume");
  await until(live, "resume");
  resume.push(performance.now() - start);
}
const killStart = performance.now();
await act("kill");
await until(() => !live(), "kill");
const kill = performance.now() - killStart;
await client.close();
daemon.kill("SIGTERM");

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] as number;
const summary = (xs: number[]) => ({ p50: pct(xs, 0.5), p95: pct(xs, 0.95), max: Math.max(...xs) });
const result = { rounds: ROUNDS, pauseMs: summary(pause), resumeMs: summary(resume), killMs: kill };
if (json) console.log(JSON.stringify(result));
else {
  const row = (name: string, s: { p50: number; p95: number; max: number }) => console.log(`  ${name.padEnd(8)} p50 ${s.p50.toFixed(1).padStart(6)} ms   p95 ${s.p95.toFixed(1).padStart(6)} ms   max ${s.max.toFixed(1).padStart(6)} ms`);
  console.log(`An operator's action until a connected SDK serves it (${ROUNDS} rounds, the admin request included)`);
  row("pause", result.pauseMs);
  row("resume", result.resumeMs);
  console.log(`  kill     ${kill.toFixed(1)} ms (once)`);
}
