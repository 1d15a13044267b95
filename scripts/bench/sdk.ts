/**
 * SDK local evaluation, all figures from one run on this machine (issue: ≤ 100 ns a call):
 *   - LocalTarget.evaluate alone (the router's rules: hash, bucket table, segments, audience);
 *   - client.evaluate during a live experiment without an audience, exposure recording included
 *     (deduplicated per unit: 1,000,000 calls over 100,000 units);
 *   - the same with every unit's first exposure inside the timed loop (a new experiment's memory
 *     each repetition: 100,000 exposures queued per 1,000,000 calls);
 *   - the same with an audience rule (JsonLogic, compiled at sync);
 *   - the named baseline: the router's own evaluate (what OFREP runs per request, without HTTP);
 *   - GrowthBook's evalFeature (GrowthBookClient, an experiment rule of 3 variations) and
 *     Unleash's isEnabled (a flexible rollout), each without and with the same audience, in the
 *     same run (devDependencies of this benchmark only);
 *   - the heap an SDK holding one target with a live experiment takes.
 * Each figure is the best of 7 timed repetitions after 2 warm-ups. The client is fed its state
 * by a stub fetch (no daemon, no network): what is measured is the evaluation itself.
 *
 *   npm run bench:sdk            # table
 *   npm run bench:sdk -- --json  # {"localTargetNs":…,"clientNs":…,"clientFreshNs":…,"clientAudienceNs":…,"routerNs":…,"growthbookNs":…,"unleashNs":…,"heapBytes":…}
 */
import { LiveExperiment } from "../../src/stream/live-experiment.js";
import { ExperimentRouter } from "../../src/stream/router.js";
import { servingStates } from "../../src/stream/serving-state.js";
import { evidenceRules } from "../../src/evidence/rules.js";
import { createClient, LocalTarget } from "../../src/sdk/index.js";
import { versionIdOf } from "../../src/config/canonical.js";
import type { Version } from "../../src/domain/version.js";
import type { AudienceRule } from "../../src/domain/target.js";
import { checkoutTarget } from "../../tests/helpers.js";
import { GrowthBookClient } from "@growthbook/growthbook";
import { InMemStorageProvider, Unleash } from "unleash-client";

const json = process.argv.includes("--json");
const CALLS = 1_000_000;
const UNITS = 100_000;
const units = Array.from({ length: UNITS }, (_, i) => `user-${i}`);
const context = { device: "mobile", country: "DE" };

/** What the timed loops saw: kept and printed, so no loop can be optimised away, and checked. */
// As cheap as GrowthBook's and Unleash's counters below: a sink keyed by reason strings cost
// evolvd's loops ~20 ns a call that the others did not pay.
const sink = { split: 0, inside: 0, notLive: 0 };
// One counter per loop (new Function: its own type feedback), so no loop pays for the shapes another fed it.
const counter = (): ((e: { reason: string; audience?: string }) => void) =>
  new Function("sink", "return (e) => { if (e.reason === 'SPLIT') sink.split++; if (e.audience === 'inside') sink.inside++; if (e.reason === 'STALE' || e.reason === 'ERROR') sink.notLive++; };")(sink);
const count = counter();
const countLocal = counter();
const countClient = counter();
const countAudience = counter();

function best(fn: () => void, before?: () => void): number {
  for (let w = 0; w < 2; w++) {
    before?.();
    fn();
  }
  let fastest = Infinity;
  for (let r = 0; r < 7; r++) {
    before?.();
    const start = performance.now();
    fn();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return (fastest * 1e6) / CALLS;
}

function world(audience: AudienceRule | null): ExperimentRouter {
  const target = checkoutTarget();
  const version = (values: Version["values"], generation: number): Version => ({ id: versionIdOf(values), target: "checkout", values, parent: null, mutations: [], seed: null, generation, createdAt: 0 });
  const baseline = version(target.baseline, 0);
  const arms = [baseline, version({ ...target.baseline, timeout_ms: 1900 }, 1), version({ ...target.baseline, timeout_ms: 3100 }, 1)];
  const router = new ExperimentRouter();
  router.setBaseline("checkout", baseline);
  router.setExperiment("checkout", new LiveExperiment({ id: "checkout/g1", target: "checkout", generation: 1, arms, weights: [0.5, 0.25, 0.25], now: 0, ...evidenceRules({ ...target.policy, audience }), audience }));
  return router;
}

/** A client fed `router`'s serving state through a stub fetch: one state event, then an open stream. */
async function clientOf(router: ExperimentRouter) {
  const doc = JSON.stringify({ targets: servingStates(router) });
  const stub = (async (url: string | URL | Request) => {
    const path = String(url);
    if (path.includes("/v1/sdk/stream")) {
      const body = new ReadableStream<Uint8Array>({ start: (c) => c.enqueue(new TextEncoder().encode(`event: state\ndata: ${doc}\n\n`)) });
      return new Response(body, { status: 200, headers: { "content-type": "text/event-stream" } });
    }
    if (path.includes("/v1/sdk/state")) return new Response(null, { status: 304 });
    return new Response("{}", { status: 200 });
  }) as typeof fetch;
    // Nothing may go stale while the timed loops block the event loop.
  const client = createClient({ url: "http://bench", fetch: stub, flushMs: 600_000, maxBufferedEvents: 200_000, maxStaleMs: 3_600_000 });
  await client.ready(5_000);
  return client;
}

const plain = world(null);
const audienced = world({ and: [{ "==": [{ var: "device" }, "mobile"] }, { in: [{ var: "country" }, ["DE", "AT"]] }] } as AudienceRule);


const zero = (): number => 0;
const local = LocalTarget.from(servingStates(plain)[0]!).target!;
const localNs = best(() => {
  for (let i = 0; i < CALLS; i++) countLocal(local.evaluate(units[i % UNITS] as string, context, zero));
});
const routerNs = best(() => {
  for (let i = 0; i < CALLS; i++) {
    const served = plain.evaluate("checkout", units[i % UNITS] as string, context, 0);
    if (served.ok) count(served.value);
  }
});
const client = await clientOf(plain);
const clientNs = best(() => {
  for (let i = 0; i < CALLS; i++) countClient(client.evaluate("checkout", units[i % UNITS] as string, context));
});
// Every repetition a new experiment for the client's memory: each unit's first exposure is
// remembered and queued inside the timed loop (1 call in 10), as in a stream of new units.
const fresh = await clientOf(plain);
const countFresh = counter();
const internals = fresh as unknown as { targets: Map<string, LocalTarget>; buffer: { queue: unknown[] } };
const clientFreshNs = best(
  () => {
    for (let i = 0; i < CALLS; i++) countFresh(fresh.evaluate("checkout", units[i % UNITS] as string, context));
  },
  () => {
    (internals.targets.get("checkout") as LocalTarget).memory = null;
    internals.buffer.queue.length = 0;
  },
);
await fresh.close();
const withAudience = await clientOf(audienced);
const clientAudienceNs = best(() => {
  for (let i = 0; i < CALLS; i++) countAudience(withAudience.evaluate("checkout", units[i % UNITS] as string, context));
});
await client.close();
await withAudience.close();

// GrowthBook: the same split as an experiment rule over the unit id (attributes passed per call).
const target = checkoutTarget();
const variations = [target.baseline, { ...target.baseline, timeout_ms: 1900 }, { ...target.baseline, timeout_ms: 3100 }];
const rule = (condition?: Record<string, unknown>) => ({ key: "checkout-g1", variations, weights: [0.5, 0.25, 0.25], hashAttribute: "id", ...(condition ? { condition } : {}) });
const growthbook = (condition?: Record<string, unknown>) => new GrowthBookClient().initSync({ payload: { features: { checkout: { defaultValue: target.baseline, rules: [rule(condition) as never] } } } });
const gbPlain = growthbook();
const gbAudience = growthbook({ device: "mobile", country: { $in: ["DE", "AT"] } });
const gbCount = (r: { source: string }) => void (r.source === "experiment" && sink.split++);
const growthbookNs = best(() => {
  for (let i = 0; i < CALLS; i++) gbCount(gbPlain.evalFeature("checkout", { attributes: { id: units[i % UNITS], ...context } }));
});
const growthbookAudienceNs = best(() => {
  for (let i = 0; i < CALLS; i++) gbCount(gbAudience.evalFeature("checkout", { attributes: { id: units[i % UNITS], ...context } }));
});

// Unleash: a flexible rollout of 50 % by userId, bootstrapped (no server; its fetch errors are ignored).
const toggle = (constraints: unknown[]) => ({ name: "checkout", enabled: true, project: "default", strategies: [{ name: "flexibleRollout", parameters: { rollout: "50", stickiness: "userId", groupId: "checkout" }, constraints }] });
async function unleash(constraints: unknown[]) {
  const client = new Unleash({ url: "http://127.0.0.1:9/api/", appName: "bench", disableMetrics: true, refreshInterval: 0, storageProvider: new InMemStorageProvider(), bootstrap: { data: [toggle(constraints) as never] }, skipInstanceCountWarning: true });
  client.on("error", () => {});
  client.on("warn", () => {});
  await new Promise((resolve) => (client.isSynchronized() ? resolve(null) : client.once("ready", resolve)));
  return client;
}
const unPlain = await unleash([]);
const unAudience = await unleash([
  { contextName: "device", operator: "IN", values: ["mobile"] },
  { contextName: "country", operator: "IN", values: ["DE", "AT"] },
]);
const unCount = (on: boolean) => void (on && sink.split++);
const unleashNs = best(() => {
  for (let i = 0; i < CALLS; i++) unCount(unPlain.isEnabled("checkout", { userId: units[i % UNITS], properties: context }));
});
const unleashAudienceNs = best(() => {
  for (let i = 0; i < CALLS; i++) unCount(unAudience.isEnabled("checkout", { userId: units[i % UNITS], properties: { ...context } }));
});
unPlain.destroy();
unAudience.destroy();
await (await clientOf(plain)).close();
const { heapBytes, heapWithUnitsBytes } = await measureMemory();


if (sink.notLive > 0) throw new Error(`the timed loops saw ${sink.notLive} STALE or ERROR answers: the figures would not be of live evaluations`);
const gc = (globalThis as { gc?: () => void }).gc;
const result = { node: process.version, split: sink.split, inside: sink.inside, calls: CALLS, units: UNITS, localTargetNs: localNs, clientNs, clientFreshNs, clientAudienceNs, routerNs, growthbookNs, growthbookAudienceNs, unleashNs, unleashAudienceNs, heapBytes: gc ? heapBytes : null, heapWithUnitsBytes: gc ? heapWithUnitsBytes : null };
if (json) console.log(JSON.stringify(result));
else {
  const ns = (x: number) => `${x.toFixed(1)} ns`;
  console.log(`SDK local evaluation, ${CALLS.toLocaleString("en")} calls over ${UNITS.toLocaleString("en")} units, live experiment of 3 arms (best of 7)`);
  console.log(`  LocalTarget.evaluate (rules only)                        ${ns(localNs)}`);
  console.log(`  client.evaluate, no audience, exposure recording included ${ns(clientNs)}`);
  console.log(`  … every unit's first exposure in the loop (1 call in 10) ${ns(clientFreshNs)}`);
  console.log(`  client.evaluate, audience rule (JsonLogic)                ${ns(clientAudienceNs)}`);
  console.log(`  baseline: the router's evaluate (OFREP's, without HTTP)   ${ns(routerNs)}`);
  console.log(`  GrowthBook evalFeature (GrowthBookClient), no audience      ${ns(growthbookNs)}`);
  console.log(`  GrowthBook evalFeature, audience condition                  ${ns(growthbookAudienceNs)}`);
  console.log(`  Unleash isEnabled (flexible rollout), no constraints        ${ns(unleashNs)}`);
  console.log(`  Unleash isEnabled, two constraints                          ${ns(unleashAudienceNs)}`);
  console.log(`  (the loops saw ${sink.split.toLocaleString("en")} candidate answers and ${sink.inside.toLocaleString("en")} inside the audience)`);
  console.log(`  heap of one client holding the target                     ${gc ? `${(heapBytes / 1024).toFixed(0)} KB` : "run with node --expose-gc (npm run bench:sdk does)"}`);
  if (gc) console.log(`  … once it has exposed 100,000 units (its unit memory)      ${(heapWithUnitsBytes / 1024).toFixed(0)} KB`);
}

/**
 * Memory, measured last: twenty clients held at once so the figure per client stands above the
 * heap's noise — measured first, their garbage and their code's type feedback made the timed
 * client loop half again slower.
 */
async function measureMemory(): Promise<{ heapBytes: number; heapWithUnitsBytes: number }> {
  await (await clientOf(plain)).close();
  // The heap of one client holding one target with a live experiment (no units evaluated yet).
  const rawGc = (globalThis as { gc?: () => void }).gc;
  // Collections on both sides of a turn of the event loop: freed buffers are released after one.
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 3; i++) {
      rawGc?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await settle();
  // The JS heap and the typed arrays' buffers, which live outside it (the bucket table, the unit memory).
  const used = (): number => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  // Twenty clients at once, so the figure per client stands above the heap's own noise.
  const HELD = 20;
  const before = used();
  const heldClients = [];
  for (let i = 0; i < HELD; i++) heldClients.push(await clientOf(plain));
  await settle();
  const heapBytes = (used() - before) / HELD;
  // The same clients once each has exposed all 100,000 units (its memory of them: sdk/unit-memory.ts).
  const beforeUnits = used();
  for (const c of heldClients) {
    for (const unit of units) c.evaluate("checkout", unit, context);
    await c.flush();
  }
  await settle();
  const heapWithUnitsBytes = heapBytes + (used() - beforeUnits) / HELD;
  for (const c of heldClients) await c.close();
  return { heapBytes, heapWithUnitsBytes };
}
