/**
 * HTTP benchmark of one embedded daemon (a real `evolvd start` process) on loopback, driven
 * from this process with a keep-alive HTTP agent (the load generator must not share the
 * daemon's event loop):
 *   - OFREP evaluations: latency percentiles one at a time, and throughput with 32 in flight;
 *   - events: NDJSON batches of 1,000 lines, events per second;
 *   - the baseline the HTTP figures are read against: the same evaluation in process
 *     (ExperimentRouter.evaluate, no HTTP).
 *
 *   npm run bench:http            # table
 *   npm run bench:http -- --json
 */
import { cpSync, mkdtempSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { versionIdOf } from "../../src/config/canonical.js";
import { loadTargetFile } from "../../src/config/target-file.js";
import { ExperimentRouter } from "../../src/stream/router.js";
import { startDaemonProcess } from "./daemon-process.js";

const json = process.argv.includes("--json");
const ROOT = resolve(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "evolvd-bench-"));
cpSync(join(ROOT, "configs"), join(dir, "configs"), { recursive: true });
cpSync(join(ROOT, "simulations"), join(dir, "simulations"), { recursive: true });

const running = await startDaemonProcess(dir);
const daemon = running.daemon;
const url = new URL(running.url);

const agent = new Agent({ keepAlive: true, maxSockets: 64 });
function post(path: string, body: string, contentType = "application/json"): Promise<void> {
  return new Promise((done, fail) => {
    const req = request({ host: url.hostname, port: url.port, path, method: "POST", agent, headers: { "content-type": contentType, "content-length": Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on("end", () => (res.statusCode === 200 ? done() : fail(new Error(`${path}: ${res.statusCode}`))));
    });
    req.on("error", fail);
    req.end(body);
  });
}
const evaluate = (unit: string) => post("/ofrep/v1/evaluate/flags/checkout.retry.limit", JSON.stringify({ context: { targetingKey: unit } }));

for (let i = 0; i < 1000; i++) await evaluate(`warm-${i}`);
const latencies: number[] = [];
for (let i = 0; i < 3000; i++) {
  const start = performance.now();
  await evaluate(`seq-${i}`);
  latencies.push(performance.now() - start);
}
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] as number;

const CONCURRENCY = 32;
const TOTAL = 30_000;
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < TOTAL) await evaluate(`par-${next++}`);
  }),
);
const evaluationsPerSec = TOTAL / ((performance.now() - started) / 1000);

const BATCH = 1000;
const BATCHES = 100;
const eventsStarted = performance.now();
for (let b = 0; b < BATCHES; b++) {
  const lines: string[] = [];
  for (let i = 0; i < BATCH / 2; i++) {
    const unit = `ev-${b}-${i}`;
    lines.push(JSON.stringify({ type: "exposure", target: "checkout", unit, ts: 1 }));
    lines.push(JSON.stringify({ type: "outcome", target: "checkout", unit, ts: 1, metrics: { conversion: i % 10 === 0 ? 1 : 0, latency_ms: 180, error: 0 } }));
  }
  await post("/v1/events", lines.join("\n"), "application/x-ndjson");
}
const eventsPerSec = (BATCH * BATCHES) / ((performance.now() - eventsStarted) / 1000);
daemon.kill("SIGTERM");
agent.destroy();

// Baseline: the same decision in process (baseline only: no experiment overhead), no HTTP.
const target = loadTargetFile(join(ROOT, "configs", "checkout.json"));
if (!target.ok) throw new Error(target.error.message);
const router = new ExperimentRouter();
router.setBaseline("checkout", { id: versionIdOf(target.value.baseline), target: "checkout", values: target.value.baseline, parent: null, mutations: [], seed: null, generation: 0, createdAt: 0 });
const N = 500_000;
const inProcessStart = performance.now();
for (let i = 0; i < N; i++) router.evaluate("checkout", `in-${i}`);
const inProcessMicros = ((performance.now() - inProcessStart) * 1000) / N;

const result = {
  evaluationLatencyMs: { p50: pct(0.5), p90: pct(0.9), p99: pct(0.99) },
  evaluationsPerSec: Math.round(evaluationsPerSec),
  concurrency: CONCURRENCY,
  eventsPerSec: Math.round(eventsPerSec),
  inProcessEvaluationMicros: inProcessMicros,
  node: process.version,
};
if (json) process.stdout.write(JSON.stringify(result, null, 2) + "\n");
else {
  console.log(`one embedded daemon (evolvd start) on loopback, load from a separate process (${process.version})`);
  console.log(`  OFREP evaluation latency, one at a time: p50 ${result.evaluationLatencyMs.p50.toFixed(3)} ms, p90 ${result.evaluationLatencyMs.p90.toFixed(3)} ms, p99 ${result.evaluationLatencyMs.p99.toFixed(3)} ms`);
  console.log(`  OFREP evaluations per second, ${CONCURRENCY} in flight: ${result.evaluationsPerSec.toLocaleString("en-US")}`);
  console.log(`  events per second, NDJSON batches of ${BATCH}: ${result.eventsPerSec.toLocaleString("en-US")}`);
  console.log(`  baseline: the same evaluation in process, no HTTP: ${inProcessMicros.toFixed(2)} µs`);
}
