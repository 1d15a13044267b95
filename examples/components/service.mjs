// A Node service that ranks items through the recommender component (components/wit/recommender.wit)
// and swaps its variants at run time, under load: requests keep being served between and during
// the swaps, and every swap carries the scorer's learned state into the next variant. Two swaps
// go to deliberately broken modules: both revert, and the service never stops answering.
// One JSON line per step: {"step", "component", "from", "to", "statePreserved", "reverted", "ms", …}.
//
//   npm run example:components
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import seedrandom from "seedrandom";
import { ComponentRegistry, ComponentSlot } from "evolvd/sdk";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const say = (line) => console.log(JSON.stringify(line));
const short = (version) => version?.slice(0, 12) ?? null;

const registry = new ComponentRegistry();
const world = registry.define("recommender", readFileSync(join(root, "components", "wit", "recommender.wit"), "utf8"));
const versions = {};
const names = new Map();
for (const name of ["popularity", "explore", "shrunk", "broken-state", "broken-start"]) {
  const bytes = new Uint8Array(readFileSync(join(root, "components", "build", `${name}.wasm`)));
  const { version } = await registry.register("recommender", bytes, { name, experimental: name.startsWith("broken") });
  versions[name] = version;
  names.set(version, name);
  say({ step: "registered", component: "recommender", name, version: short(version), bytes: bytes.length });
}

const slot = new ComponentSlot("recommender", world, () => performance.now());
const swap = (name) => slot.swap(versions[name], () => registry.module("recommender", versions[name]));

// The world: 32 items, item i clicked with probability 0.02 + 0.01 × (i mod 7), users in 4 segments.
const rng = seedrandom("components-example");
let served = 0;
let failed = 0;
let clicks = 0;
function serve() {
  const segment = Math.floor(rng() * 4);
  try {
    let best = 0;
    let bestScore = -Infinity;
    for (let item = 0; item < 32; item++) {
      const score = slot.call("score", item, segment);
      if (score > bestScore) [best, bestScore] = [item, score];
    }
    // A tenth of the traffic is shown a random item, so every item keeps being measured.
    const shown = rng() < 0.1 ? Math.floor(rng() * 32) : best;
    const clicked = rng() < 0.02 + 0.01 * (shown % 7);
    slot.call("observe", shown, clicked);
    served++;
    if (clicked) clicks++;
  } catch {
    failed++;
  }
}

/** Serves requests in the background (one batch per turn of the event loop) until stopped. */
function load() {
  let on = true;
  const done = new Promise((resolve) => {
    const tick = () => {
      for (let i = 0; i < 50; i++) serve();
      if (on) setImmediate(tick);
      else resolve();
    };
    setImmediate(tick);
  });
  return { stop: () => ((on = false), done) };
}

say({ step: "start", component: "recommender", ...(await swapLine("popularity")) });
const traffic = load();
for (const name of ["explore", "broken-state", "shrunk", "broken-start", "popularity"]) {
  // Let some requests through on the running variant first.
  const before = served;
  while (served < before + 2000) await new Promise((resolve) => setImmediate(resolve));
  say({ step: "swap", component: "recommender", ...(await swapLine(name)) });
}
await traffic.stop();
say({ step: "done", component: "recommender", active: names.get(slot.active.version), served, failed, clickRate: Number((clicks / served).toFixed(4)), impressions: String(slot.call("impressions")) });

async function swapLine(name) {
  const report = await swap(name);
  return {
    from: names.get(report.from) ?? null,
    to: name,
    statePreserved: report.statePreserved,
    reverted: report.reverted,
    ...(report.failedAt ? { failedAt: report.failedAt, error: report.error } : {}),
    ms: Number(report.ms.toFixed(3)),
    active: names.get(slot.active.version),
    served,
    impressions: String(slot.call("impressions")),
  };
}
