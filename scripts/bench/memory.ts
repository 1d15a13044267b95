/**
 * Memory of per-unit state: one embedded daemon (a real `evolvd start` process) with a live
 * experiment, its ticks, checkpoints and served journal running, measured by its resident
 * memory (VmRSS) at three moments:
 *   1. idle, just started;
 *   2. warm: after the same event load as below but over 1,000 distinct units, so the V8 heap
 *      has grown to what ingesting at full speed needs (it keeps that memory), with almost no
 *      per-unit state;
 *   3. loaded: after UNITS more distinct units, each with one exposure and OUTCOMES_PER_UNIT
 *      outcomes through /v1/events. By default (not with `--no-returning`) that experiment is
 *      then ended (kill switch, resume: the next generation starts) and the same UNITS units
 *      come back to the next one, so every unit has a row with its aggregates and a CUPED value
 *      kept from the first (evidence/earlier-values.ts); "loaded" is measured then, once the
 *      served journal has drained.
 * RSS moves with garbage V8 has not collected yet, so warm and loaded are the lowest reading of
 * a window (10 s; `--settle` s, 30 by default, for loaded), the loaded peak shown beside it.
 * "state" is loaded − warm (what the units cost), "added" loaded − idle (what a fresh daemon
 * grows by). `--baseline DIR` runs the same against another checkout's build first (for example
 * the commit before per-unit statistics), so both are measured in one run.
 *
 *   npm run bench:memory                         # table
 *   npm run bench:memory -- --json
 *   npm run bench:memory -- --baseline ../old    # a named baseline, same run
 *   npm run bench:memory -- --units 200000       # quicker
 *   npm run bench:memory -- --no-returning       # one experiment, no CUPED values
 *   npm run bench:memory -- --settle 60          # seconds left idle before "loaded" is read (30)
 *   npm run bench:memory -- --node-options "--max-semi-space-size=4"   # the daemon's V8 flags
 *   npm run bench:memory -- --heap-snapshot loaded.heapsnapshot       # what the loaded heap holds
 */
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const args = process.argv.slice(2);
const json = args.includes("--json");
const option = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const UNITS = Number(option("--units") ?? 1_000_000);
const OUTCOMES_PER_UNIT = Number(option("--outcomes") ?? 1);
const RETURNING = !args.includes("--no-returning");
/** Seconds the loaded daemon is left alone before it is measured (V8's memory reducer runs a full GC once allocation stays low for a while). */
const SETTLE_S = Number(option("--settle") ?? 30);
/** Where to copy a heap snapshot of the loaded daemon (V8 collects garbage first, so it shows what is live). */
const SNAPSHOT = option("--heap-snapshot");
const WARM_DISTINCT = 1000;
const BATCH = 10_000;
const IN_FLIGHT = 2;
const ROOT = resolve(import.meta.dirname, "..", "..");

interface Figures {
  readonly root: string;
  readonly idleMb: number;
  readonly warmMb: number;
  readonly loadedMb: number;
  /** The highest reading of the loaded window (garbage not yet collected included). */
  readonly loadedPeakMb: number;
  readonly stateMb: number;
  readonly addedMb: number;
  readonly eventsPerSec: number;
  /** V8 heap committed, and used (live and not yet collected), and ArrayBuffer/external memory at idle and loaded (from /metrics). */
  readonly heapMb: readonly [number, number];
  readonly heapUsedMb: readonly [number, number];
  readonly externalMb: readonly [number, number];
}

const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN) / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measure(root: string): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), "evolvd-memory-"));
  cpSync(join(root, "configs"), join(dir, "configs"), { recursive: true });
  cpSync(join(root, "simulations"), join(dir, "simulations"), { recursive: true });
  // A budget no load here reaches, and ticks every 2 s: the experiment stays live and checkpoints.
  const file = join(dir, "configs", "checkout.json");
  const target = JSON.parse(readFileSync(file, "utf8"));
  target.policy = { ...target.policy, minUnitsPerArm: 1e9, maxUnitsPerArm: 1e9, analysisEveryMs: 2000, screening: { scenario: null }, canary: { steps: [0.5], minUnitsPerStep: 1e9 } };
  writeFileSync(file, JSON.stringify(target));
  const daemon = spawn("node", [join(root, "bin", "evolvd.js"), "start", "--port", "0", "--data-dir", "data", "--drop-dir", "configs", "--log-level", "info"], { cwd: dir, env: { ...process.env, NODE_OPTIONS: `${option("--node-options") ?? process.env.NODE_OPTIONS ?? ""}${SNAPSHOT ? " --heapsnapshot-signal=SIGUSR2" : ""}`.trim() }, stdio: ["ignore", "pipe", "inherit"] });
  const url = await started(daemon);
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const post = (path: string, body: string, type: string) =>
    new Promise<string>((done, fail) => {
      const req = request({ host: url.hostname, port: url.port, path, method: "POST", agent, headers: { "content-type": type, "content-length": Buffer.byteLength(body) } }, (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => (res.statusCode === 200 ? done(text) : fail(new Error(`${path}: ${res.statusCode} ${text}`))));
      });
      req.on("error", fail);
      req.end(body);
    });
  // Idle: started, experiment live, a few ticks done.
  await sleep(6000);
  const idle = Math.min(rssMb(daemon.pid as number), ...(await samples(daemon.pid as number)));
  const idleHeap = await heap(url);

  const lines = (from: number, distinct: number, prefix: string): string => {
    let text = "";
    for (let u = from; u < Math.min(UNITS, from + BATCH / (1 + OUTCOMES_PER_UNIT)); u++) {
      const unit = `${prefix}${u % distinct}`;
      text += `{"type":"exposure","target":"checkout","unit":"${unit}","ts":1790000000000}\n`;
      for (let k = 0; k < OUTCOMES_PER_UNIT; k++) text += `{"type":"outcome","target":"checkout","unit":"${unit}","ts":1790000000000,"metrics":{"conversion":${(u * 7 + k) % 10 === 0 ? 1 : 0},"latency_ms":${150 + ((u * 13 + k) % 100)},"error":0}}\n`;
    }
    return text;
  };
  const load = async (distinct: number, prefix: string): Promise<number> => {
    const perBatch = Math.floor(BATCH / (1 + OUTCOMES_PER_UNIT));
    const starts: number[] = [];
    for (let u = 0; u < UNITS; u += perBatch) starts.push(u);
    const began = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < starts.length) {
          const answer = JSON.parse(await post("/v1/events", lines(starts[next++] as number, distinct, prefix), "application/x-ndjson")) as { rejected: number };
          if (answer.rejected > 0) throw new Error(`events rejected: ${JSON.stringify(answer).slice(0, 300)}`);
        }
      }),
    );
    return (UNITS * (1 + OUTCOMES_PER_UNIT)) / ((performance.now() - began) / 1000);
  };
  await load(WARM_DISTINCT, "warm-");
  // RSS moves with garbage not yet collected: each moment is the lowest reading over a window
  // (what stays resident), the highest shown beside it.
  const warm = Math.min(...(await window(daemon.pid as number, 10)));
  if (!json) console.error(`warm: ${JSON.stringify(await heap(url))}`);
  const eventsPerSec = await load(UNITS, "unit-");
  if (RETURNING) {
    const first = await experimentId(url);
    await post("/v1/targets/checkout/kill", "{}", "application/json");
    await post("/v1/targets/checkout/resume", "{}", "application/json");
    for (let id = await experimentId(url); id === null || id === first; id = await experimentId(url)) await sleep(200);
    await load(UNITS, "unit-");
  }
  // Loaded: the served journal drained (its backlog gauge at 0), ticks and checkpoints done since.
  await waitForJournal(url);
  const settled = await window(daemon.pid as number, SETTLE_S);
  const loaded = Math.min(...settled);
  const peak = Math.max(...settled);
  const loadedHeap = await heap(url);
  if (SNAPSHOT) await heapSnapshot(daemon, dir, SNAPSHOT);
  await new Promise((done) => (daemon.once("exit", done), daemon.kill("SIGTERM")));
  agent.destroy();
  return { root, idleMb: round(idle), warmMb: round(warm), loadedMb: round(loaded), loadedPeakMb: round(peak), stateMb: round(loaded - warm), addedMb: round(loaded - idle), eventsPerSec: Math.round(eventsPerSec), heapMb: [idleHeap.heap, loadedHeap.heap], heapUsedMb: [idleHeap.used, loadedHeap.used], externalMb: [idleHeap.external, loadedHeap.external] };
}

/** Asks the daemon for a heap snapshot (SIGUSR2) and copies it out once written. */
async function heapSnapshot(daemon: ChildProcess, dir: string, to: string): Promise<void> {
  daemon.kill("SIGUSR2");
  for (let size = -1; ; await sleep(1000)) {
    const file = readdirSync(dir).find((f) => f.endsWith(".heapsnapshot"));
    if (!file) continue;
    const now = readFileSync(join(dir, file)).length;
    // Written in one go by the daemon's main thread: a size that stopped changing is complete.
    if (now > 0 && now === size) return copyFileSync(join(dir, file), resolve(to));
    size = now;
  }
}

async function waitForJournal(url: URL): Promise<void> {
  for (;;) {
    const text = await (await fetch(new URL("/metrics", url))).text();
    if (Number(/^evolvd_served_journal_backlog_units\{target="checkout"\} (\S+)$/m.exec(text)?.[1] ?? 0) === 0) return;
    await sleep(500);
  }
}

async function experimentId(url: URL): Promise<string | null> {
  const answer = (await (await fetch(new URL("/v1/targets/checkout", url))).json()) as { experiment: { id: string } | null };
  return answer.experiment?.id ?? null;
}

async function heap(url: URL): Promise<{ heap: number; used: number; external: number }> {
  const text = await (await fetch(new URL("/metrics", url))).text();
  const value = (name: string): number => round(Number(new RegExp(`^evolvd_process_${name} (\\S+)`, "m").exec(text)?.[1] ?? NaN) / 2 ** 20);
  return { heap: value("nodejs_heap_size_total_bytes"), used: value("nodejs_heap_size_used_bytes"), external: value("nodejs_external_memory_bytes") };
}

/** RSS once a second for `seconds`. */
async function window(pid: number, seconds: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < seconds; i++) {
    await sleep(1000);
    out.push(rssMb(pid));
  }
  return out;
}

async function samples(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < 5; i++) {
    out.push(rssMb(pid));
    await sleep(400);
  }
  return out;
}

function started(daemon: ChildProcess): Promise<URL> {
  return new Promise((done, fail) => {
    let out = "";
    daemon.stdout?.on("data", (chunk) => {
      out += chunk;
      const m = /"url":"([^"]+)".*"msg":"evolvd started"/.exec(out);
      if (m) done(new URL(m[1] as string));
    });
    daemon.on("exit", () => fail(new Error(`daemon exited: ${out.slice(-2000)}`)));
  });
}

const round = (x: number): number => Math.round(x * 10) / 10;

const baselineRoot = option("--baseline");
const rows: (Figures & { readonly name: string })[] = [];
if (baselineRoot) rows.push({ name: "baseline", ...(await measure(resolve(baselineRoot))) });
rows.push({ name: "this checkout", ...(await measure(ROOT)) });
const setup = { settleSeconds: SETTLE_S, units: UNITS, outcomesPerUnit: OUTCOMES_PER_UNIT, kpisPerOutcome: 3, returning: RETURNING, node: process.version, nodeOptions: option("--node-options") ?? process.env.NODE_OPTIONS ?? "" };
if (json) process.stdout.write(JSON.stringify({ setup, rows }, null, 2) + "\n");
else {
  console.log(`per-unit state: ${UNITS.toLocaleString("en-US")} units of one live experiment, 1 exposure + ${OUTCOMES_PER_UNIT} outcome(s) each, 3 KPIs${RETURNING ? ", every unit back from the previous experiment with its CUPED value" : ""}${setup.nodeOptions ? `, NODE_OPTIONS=${setup.nodeOptions}` : ""}\n`);
  console.log("| build | idle RSS | warm RSS | loaded RSS (peak) | state (loaded − warm) | added (loaded − idle) | ingest events/s | V8 heap idle → loaded (used) | external idle → loaded |");
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) console.log(`| ${r.name} (${r.root}) | ${r.idleMb} MB | ${r.warmMb} MB | ${r.loadedMb} (${r.loadedPeakMb}) MB | ${r.stateMb} MB | ${r.addedMb} MB | ${r.eventsPerSec.toLocaleString("en-US")} | ${r.heapMb[0]} (${r.heapUsedMb[0]}) → ${r.heapMb[1]} (${r.heapUsedMb[1]}) MB | ${r.externalMb[0]} → ${r.externalMb[1]} MB |`);
}
