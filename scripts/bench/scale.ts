/**
 * Scale-out benchmark, in one run on this machine: events per second through one embedded
 * daemon, one scale-out daemon and two scale-out daemons on one Redis (real `evolvd start`
 * processes and a throwaway redis-server, or REDIS_URL), and the latency an OFREP evaluation
 * gains in scale-out (named baseline: the embedded daemon), and how long a kill sent to one
 * instance takes to stop assignment on the other.
 *
 * Events are NDJSON batches of 1,000 lines (an exposure and an outcome per unit), 4 batches in
 * flight, spread round robin over the instances. Throughput counts from the first request to
 * the moment every outcome is in the merged statistics in Redis (scale-out), so an instance
 * that accepts faster than it can flush does not look fast.
 *
 *   npm run bench:scale            # table
 *   npm run bench:scale -- --json
 */
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Redis } from "ioredis";
import { RedisStats } from "../../src/store/redis-stats.js";
import { freePort } from "../../tests/helpers.js";
import { startRedis } from "../../tests/redis-server.js";

const json = process.argv.includes("--json");
const ROOT = resolve(import.meta.dirname, "..", "..");
const BATCH = 1000;
const BATCHES = 200;
const IN_FLIGHT = 4;
const SEQUENTIAL = 3000;

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), "evolvd-bench-scale-"));
  cpSync(join(ROOT, "configs"), join(dir, "configs"), { recursive: true });
  const file = join(dir, "configs", "checkout.json");
  const target = JSON.parse(readFileSync(file, "utf8"));
  // No screening and no tick during the run: every configuration serves the same g1.
  target.policy = { ...target.policy, screening: { scenario: null }, analysisEveryMs: 3_600_000 };
  writeFileSync(file, JSON.stringify(target));
  return dir;
}

interface Instance {
  readonly url: URL;
  readonly child: ChildProcess;
}

async function startDaemon(dir: string, args: string[]): Promise<Instance> {
  const child = spawn("node", [join(ROOT, "bin", "evolvd.js"), "start", "--port", String(await freePort()), "--drop-dir", "configs", "--data-dir", "data", ...args], { cwd: dir, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise<Instance>((done, fail) => {
    let out = "";
    child.stdout?.on("data", (chunk) => {
      out += chunk;
      const m = /"url":"([^"]+)".*"msg":"evolvd started"/.exec(out);
      if (m) done({ url: new URL(m[1] as string), child });
    });
    child.on("exit", () => fail(new Error(`daemon exited: ${out}`)));
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });
function post(url: URL, path: string, body: string, contentType = "application/json"): Promise<string> {
  return new Promise((done, fail) => {
    const req = request({ host: url.hostname, port: url.port, path, method: "POST", agent, headers: { "content-type": contentType, "content-length": Buffer.byteLength(body) } }, (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => (res.statusCode === 200 ? done(text) : fail(new Error(`${path}: ${res.statusCode} ${text}`))));
    });
    req.on("error", fail);
    req.end(body);
  });
}
async function get(url: URL, path: string): Promise<string> {
  return (await fetch(new URL(path, url))).text();
}

async function waitLive(instances: readonly Instance[]): Promise<void> {
  for (const { url } of instances) {
    for (;;) {
      const detail = JSON.parse(await get(url, "/v1/targets/checkout")) as { experiment: unknown };
      if (detail.experiment) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function latency(instance: Instance, label: string): Promise<{ p50: number; p90: number; p99: number }> {
  const evaluate = (unit: string) => post(instance.url, "/ofrep/v1/evaluate/flags/checkout.retry.limit", JSON.stringify({ context: { targetingKey: unit } }));
  for (let i = 0; i < 1000; i++) await evaluate(`${label}-warm-${i}`);
  const samples: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const start = performance.now();
    await evaluate(`${label}-seq-${i}`);
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  const at = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))] as number;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99) };
}

/** Pushes BATCHES batches over the instances; resolves when accepted (and merged, with `merged`). */
async function events(instances: readonly Instance[], label: string, merged?: () => Promise<number>): Promise<{ eventsPerSec: number; acceptedPerSec: number }> {
  const bodies = Array.from({ length: BATCHES }, (_, b) => {
    const lines: string[] = [];
    for (let i = 0; i < BATCH / 2; i++) {
      const unit = `${label}-${b}-${i}`;
      lines.push(JSON.stringify({ type: "exposure", target: "checkout", unit, ts: 1 }));
      lines.push(JSON.stringify({ type: "outcome", target: "checkout", unit, ts: 1, metrics: { conversion: i % 10 === 0 ? 1 : 0, latency_ms: 180, error: 0 } }));
    }
    return lines.join("\n");
  });
  const before = merged ? await merged() : 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < BATCHES) {
        const b = next++;
        await post((instances[b % instances.length] as Instance).url, "/v1/events", bodies[b] as string, "application/x-ndjson");
      }
    }),
  );
  const accepted = performance.now() - started;
  if (merged) while ((await merged()) - before < (BATCH / 2) * BATCHES) await new Promise((r) => setTimeout(r, 5));
  const total = performance.now() - started;
  return { eventsPerSec: Math.round((BATCH * BATCHES) / (total / 1000)), acceptedPerSec: Math.round((BATCH * BATCHES) / (accepted / 1000)) };
}

/** Milliseconds from a kill on `from` until `to` serves a candidate's unit the baseline. */
async function killPropagation(from: Instance, to: Instance): Promise<number> {
  const reason = async (unit: string) => (JSON.parse(await post(to.url, "/ofrep/v1/evaluate/flags/checkout", JSON.stringify({ context: { targetingKey: unit } }))) as { reason: string }).reason;
  let unit = "";
  for (let i = 0; !unit; i++) if ((await reason(`kill-${i}`)) === "SPLIT") unit = `kill-${i}`;
  const started = performance.now();
  await post(from.url, "/v1/targets/checkout/kill", JSON.stringify({ reason: "benchmark" }));
  while ((await reason(unit)) !== "STATIC") await new Promise((r) => setImmediate(r));
  return performance.now() - started;
}

const redis = await startRedis();
const client = new Redis(redis.url);
const stats = new RedisStats(client, "evolvd-bench");
const mergedOutcomes = async () => {
  let n = 0;
  for (const byArm of (await stats.read("checkout/g1")).kpis.values()) for (const kpis of byArm.values()) n += kpis.conversion?.den ?? 0; // outcomes (n counts units)
  return n;
};
await client.flushdb().catch(() => undefined); // REDIS_URL: a database of its own is assumed
const stop = (instances: readonly Instance[]) => Promise.all(instances.map((i) => new Promise((done) => (i.child.once("exit", done), i.child.kill("SIGTERM")))));

const embedded = [await startDaemon(workspace(), [])];
await waitLive(embedded);
const embeddedLatency = await latency(embedded[0] as Instance, "emb");
const embeddedEvents = await events(embedded, "emb");
await stop(embedded);

const scaleArgs = ["--redis", redis.url, "--redis-prefix", "evolvd-bench"];
const one = [await startDaemon(workspace(), scaleArgs)];
await waitLive(one);
const scaleLatency = await latency(one[0] as Instance, "one");
const oneEvents = await events(one, "one", mergedOutcomes);
const second = await startDaemon(workspace(), scaleArgs);
const two = [one[0] as Instance, second];
await waitLive(two);
const twoEvents = await events(two, "two", mergedOutcomes);
const killMs = await killPropagation(two[0] as Instance, second);
await stop(two);
agent.destroy();
client.disconnect();
await redis.stop();

const result = {
  node: process.version,
  batch: BATCH,
  batches: BATCHES,
  inFlight: IN_FLIGHT,
  eventsPerSec: { embedded: embeddedEvents.eventsPerSec, scaleOutOne: oneEvents.eventsPerSec, scaleOutTwo: twoEvents.eventsPerSec },
  acceptedPerSec: { embedded: embeddedEvents.acceptedPerSec, scaleOutOne: oneEvents.acceptedPerSec, scaleOutTwo: twoEvents.acceptedPerSec },
  evaluationLatencyMs: { embedded: embeddedLatency, scaleOut: scaleLatency },
  addedLatencyMs: { p50: scaleLatency.p50 - embeddedLatency.p50, p99: scaleLatency.p99 - embeddedLatency.p99 },
  killPropagationMs: killMs,
};
if (json) process.stdout.write(JSON.stringify(result, null, 2) + "\n");
else {
  const n = (x: number) => x.toLocaleString("en-US");
  const ms = (x: number) => x.toFixed(3);
  console.log(`scale-out on one Redis, all on this machine (${process.version}); ${BATCHES} NDJSON batches of ${BATCH} events, ${IN_FLIGHT} in flight`);
  console.log(`  events/s, embedded daemon (baseline):        ${n(result.eventsPerSec.embedded)}`);
  console.log(`  events/s, one scale-out daemon (merged):     ${n(result.eventsPerSec.scaleOutOne)}   (accepted ${n(result.acceptedPerSec.scaleOutOne)})`);
  console.log(`  events/s, two scale-out daemons (merged):    ${n(result.eventsPerSec.scaleOutTwo)}   (accepted ${n(result.acceptedPerSec.scaleOutTwo)})`);
  console.log(`  OFREP evaluation, one at a time, embedded:   p50 ${ms(embeddedLatency.p50)} ms, p90 ${ms(embeddedLatency.p90)} ms, p99 ${ms(embeddedLatency.p99)} ms`);
  console.log(`  OFREP evaluation, one at a time, scale-out:  p50 ${ms(scaleLatency.p50)} ms, p90 ${ms(scaleLatency.p90)} ms, p99 ${ms(scaleLatency.p99)} ms`);
  console.log(`  added by scale-out: p50 ${ms(result.addedLatencyMs.p50)} ms, p99 ${ms(result.addedLatencyMs.p99)} ms`);
  console.log(`  kill on one instance until the other serves the baseline (incl. the kill request): ${ms(killMs)} ms`);
}
