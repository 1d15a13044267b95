// A Node service that prices carts through the `pricing` stage, with the evolvd SDK: it
// registers three versions, runs every request through the interceptor (client.run), reports
// each purchase, and prints one JSON line per thing that happened — versions registered, the
// experiment, traffic, fallbacks, the daemon's decisions, the side effects in the history.
//
//   npm run example:stages                  starts a daemon of its own (a temporary folder);
//                                           REQUESTS (default 120,000) at RATE per second (5,000)
//   EVOLVD_URL=http://127.0.0.1:8787 npm run example:stages
//                                           against a running daemon, with examples/stages/shop.json
//                                           in its drop folder (EVOLVD_OFREP_TOKEN, EVOLVD_ADMIN_TOKEN
//                                           if it asks for them)
import { copyFileSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import seedrandom from "seedrandom";
import { createClient, stageVersionOf } from "evolvd/sdk";
import { bulk, cartSchema, flat, pricedSchema, surge } from "./pricing.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const maxRequests = Number(process.env.REQUESTS ?? 120_000);
const say = (line) => console.log(JSON.stringify(line));
const names = new Map([flat, bulk, surge].map((f) => [stageVersionOf(f), f.name]));
const nameOf = (version) => names.get(version) ?? version.slice(0, 12);

/** A daemon of our own, on a free port, watching a temporary drop folder holding shop.json. */
async function ownDaemon() {
  const { startDaemon } = await import("evolvd/dist/daemon/daemon.js");
  const { loadSettings } = await import("evolvd/dist/daemon/settings.js");
  const dir = mkdtempSync(join(tmpdir(), "evolvd-stages-"));
  mkdirSync(join(dir, "configs"));
  copyFileSync(join(here, "shop.json"), join(dir, "configs", "shop.json"));
  const settings = loadSettings({ env: {}, args: ["--port", "0", "--data-dir", join(dir, "data"), "--drop-dir", join(dir, "configs"), "--log-level", "silent"] });
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  return { daemon: await startDaemon(settings, dir, quiet), dataDir: join(dir, "data") };
}

const own = process.env.EVOLVD_URL ? null : await ownDaemon();
const daemon = own?.daemon ?? null;
const url = process.env.EVOLVD_URL || daemon.url;
const admin = process.env.EVOLVD_ADMIN_TOKEN ? { authorization: `Bearer ${process.env.EVOLVD_ADMIN_TOKEN}` } : {};
const getJson = async (path) => {
  const response = await fetch(`${url}${path}`, { headers: admin });
  if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status} ${await response.text()}`);
  return response.json();
};
say({ step: "daemon", url, own: daemon !== null });

const client = createClient({ url, token: process.env.EVOLVD_OFREP_TOKEN, targets: ["shop"], flushMs: 200, reportMs: 2000 });
for (const f of [flat, bulk, surge]) {
  const { version } = client.register("pricing", f, { input: cartSchema, output: pricedSchema });
  say({ step: "registered", stage: "pricing", name: f.name, version });
}
await client.ready(10_000);
if (client.evaluate("shop", "probe").reason === "ERROR") {
  say({ step: "error", message: `the daemon at ${url} serves no target "shop": drop examples/stages/shop.json into its drop folder` });
  process.exit(1);
}

// The world: a customer buys with a probability that falls with the price per item.
const rng = seedrandom("shop-traffic");
const seenEntries = new Set();
let byVersion = {};
let fallbacks = 0;
let missing = 0;
let committed = null;
const rate = Number(process.env.RATE ?? 5000);
const started = performance.now();
for (let i = 1; i <= maxRequests && !committed; i++) {
  const unit = `customer-${Math.floor(rng() * 40_000)}`;
  const cart = { qty: 1 + Math.floor(rng() * 20), unitPrice: 5 };
  const run = await client.run("shop", "pricing", unit, cart);
  byVersion[nameOf(run.version)] = (byVersion[nameOf(run.version)] ?? 0) + 1;
  if (run.fallback) fallbacks++;
  if (run.reason === "STAGE_MISSING") missing++;
  const perItem = run.output.total / cart.qty;
  if (rng() < Math.min(1, 0.9 * (4 / perItem) ** 3)) client.track("shop", unit, { revenue: run.output.total });
  // A service between requests: the event loop turns (timers, the SDK's sends). Its traffic
  // comes at a rate, not as fast as the CPU allows: the daemon decides on wall-clock ticks, so
  // the same requests must span the same time on a fast machine and a slow one.
  if (i % 100 === 0) {
    const ahead = started + (i / rate) * 1000 - performance.now();
    await new Promise((resolve) => (ahead > 1 ? setTimeout(resolve, ahead) : setImmediate(resolve)));
  }
  if (i % 10_000 === 0) {
    say({ step: "traffic", requests: i, byVersion, fallbacks, stageMissing: missing });
    byVersion = {};
  }
  if (i % 2_000 === 0) {
    // What the daemon decided since the last look: experiments, pulls, commits.
    const { history } = await getJson("/v1/targets/shop/history");
    for (const [n, e] of history.entries()) {
      if (seenEntries.has(n)) continue;
      seenEntries.add(n);
      if (e.kind === "transition" && ["canary", "committed", "rolled_back", "inconclusive"].includes(e.to)) say({ step: "experiment", experiment: e.experiment, to: e.to, reason: e.reason });
      if (e.kind === "arm_exit" && e.exit === "pulled") say({ step: "pulled", experiment: e.experiment, reason: e.reason });
      if (e.kind === "baseline" && e.cause === "commit") committed = e;
    }
  }
}
await client.close();
// The side effects each version logged, as its history keeps them: a daemon of our own writes
// them at stop; a running one every 5 s.
let history;
if (own) {
  await own.daemon.stop();
  const { FileStore } = await import("evolvd/dist/store/file-store.js");
  history = await new FileStore(own.dataDir).read("shop");
} else {
  await new Promise((resolve) => setTimeout(resolve, 6000));
  history = (await getJson("/v1/targets/shop/history")).history;
}
const valuesOf = new Map(history.filter((e) => e.kind === "version").map((e) => [e.version.id, e.version.values.pricing]));
if (committed) say({ step: "committed", pricing: nameOf(valuesOf.get(committed.version)), reason: committed.reason });
else say({ step: "no_commit", requests: maxRequests });
const effects = {};
for (const e of history) {
  if (e.kind !== "side_effects") continue;
  const name = nameOf(valuesOf.get(e.version) ?? e.version);
  for (const [kind, n] of Object.entries(e.counts)) (effects[name] ??= {})[kind] = (effects[name][kind] ?? 0) + n;
}
say({ step: "side_effects", byVersion: effects });
say({ step: "sdk", events: client.stats.events, stageMissing: client.stats.stageMissing });
