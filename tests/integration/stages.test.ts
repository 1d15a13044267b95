import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Daemon } from "../../src/daemon/daemon.js";
import type { HistoryEntry } from "../../src/domain/history.js";
import { createClient, StageError, stageVersionOf, type EvolvdClient, type StageContext } from "../../src/sdk/index.js";
import { FileStore } from "../../src/store/file-store.js";
import { startTestDaemon, tempDir, waitFor } from "../helpers.js";
import { getJson } from "../scale-out.js";

interface Cart {
  readonly qty: number;
  readonly unitPrice: number;
}
// Two versions of the pricing stage: their version ids are the SHA-256 of these source texts.
const flat = (cart: Cart, ctx: StageContext) => {
  ctx.effect("db.read", { table: "prices" });
  return { total: cart.qty * cart.unitPrice };
};
// The candidate gives a bulk discount, logs a write, and has a bug: large orders come out negative.
const bulk = (cart: Cart, ctx: StageContext) => {
  ctx.effect("db.write", { table: "discounts" });
  return { total: cart.qty > 100 ? -1 : cart.qty * cart.unitPrice * (cart.qty >= 10 ? 0.9 : 1) };
};
const input = { type: "object", required: ["qty", "unitPrice"], properties: { qty: { type: "integer", minimum: 1 }, unitPrice: { type: "number", minimum: 0 } } };
const output = { type: "object", required: ["total"], properties: { total: { type: "number", minimum: 0 } } };
const FLAT = stageVersionOf(flat);
const BULK = stageVersionOf(bulk);

/** A target whose `pricing` setting is a stage: substitute ranges over the versions the SDKs report. */
function stageWorkspace(): string {
  const dir = tempDir();
  mkdirSync(join(dir, "configs"));
  const target = {
    target: "shop",
    schema: { pricing: { format: "function", registry: "pricing" } },
    functions: { pricing: { stage: "pricing" } },
    baseline: { pricing: FLAT },
    mutations: [{ path: "pricing", op: "substitute", probability: 1 }],
    policy: {
      primary: { kpi: "revenue", kind: "mean", direction: "increase" },
      screening: { scenario: null },
      analysisEveryMs: 200,
      candidatesPerGeneration: 1,
      liveCandidates: 1,
      canary: { steps: [0.5], minUnitsPerStep: 100_000 },
      minUnitsPerArm: 100_000,
      maxUnitsPerArm: 1_000_000,
    },
  };
  writeFileSync(join(dir, "configs", "shop.json"), JSON.stringify(target, null, 2));
  return dir;
}

interface ArmView {
  readonly version: string;
  readonly pulled: boolean;
  readonly kpis: Record<string, { n: number; mean: number }>;
}
interface TargetView {
  readonly experiment: { readonly id: string; readonly arms: readonly ArmView[] } | null;
}

describe("pipeline stages through the SDK", () => {
  let dir: string;
  let daemon: Daemon;
  let a: EvolvdClient;
  let b: EvolvdClient;
  const clients: EvolvdClient[] = [];
  const open = (id: string) => {
    const c = createClient({ url: daemon.url, targets: ["shop"], flushMs: 50, reportMs: 200, instanceId: id });
    clients.push(c);
    return c;
  };
  const view = () => getJson<TargetView>(`${daemon.url}/v1/targets/shop`);

  beforeAll(async () => {
    dir = stageWorkspace();
    daemon = await startTestDaemon(dir);
    a = open("sdk-a-000000");
    b = open("sdk-b-000000");
    await Promise.all([a.ready(5000), b.ready(5000)]);
  }, 30_000);
  afterAll(async () => {
    for (const c of clients) await c.close();
    await daemon?.stop();
  });

  it("a version becomes a candidate only once every SDK syncing the target reports it", async () => {
    a.register("pricing", flat, { input, output });
    expect(a.register("pricing", bulk, { input, output }).version).toBe(BULK);
    b.register("pricing", flat, { input, output });
    await waitFor(async () => {
      const { stages } = await getJson<{ stages: { id: string; versions: { version: string; sdks: number }[] }[] }>(`${daemon.url}/v1/stages`);
      return stages[0]?.versions.find((v) => v.version === BULK)?.sdks === 1 && stages[0]?.versions.find((v) => v.version === FLAT)?.sdks === 2;
    }, 5000, "both reports");
    // A malformed report is refused whole, naming the field, and the last good one stands.
    const bad = await fetch(`${daemon.url}/v1/sdk/registry`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ sdk: "sdk-b-000000", targets: ["shop"], stages: [{ id: "pricing", mutable: false, versions: [{ version: "not-a-sha", input: null, output: null }] }] }) });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/version.*SHA-256/);
    const { stages } = await getJson<{ stages: { versions: { version: string; sdks: number }[] }[] }>(`${daemon.url}/v1/stages`);
    expect(stages[0]?.versions.find((v) => v.version === FLAT)?.sdks).toBe(2);
    // Several analysis ticks (200 ms) go by: B lacks the bulk version, so no generation can propose it.
    await new Promise((r) => setTimeout(r, 800));
    expect((await view()).experiment).toBeNull();
    b.register("pricing", bulk, { input, output });
    await waitFor(async () => (await view()).experiment !== null, 10_000, "a generation with the bulk version");
    const arms = (await view()).experiment?.arms.map((arm) => arm.version);
    expect(arms?.length).toBe(2);
    // The status view shows the runtime's experiment at once; its history entries follow when written.
    const historyOf = async () => (await getJson<{ history: HistoryEntry[] }>(`${daemon.url}/v1/targets/shop/history`)).history;
    await waitFor(async () => (await historyOf()).some((e) => e.kind === "version" && e.version.id === arms?.[1]), 5000, "the candidate's version in the history");
    const candidate = (await historyOf()).find((e) => e.kind === "version" && e.version.id === arms?.[1]);
    expect(candidate?.kind === "version" && candidate.version.values).toEqual({ pricing: BULK });
    // The ticks that had nothing to propose spent no generation.
    expect(candidate?.kind === "version" && candidate.version.generation).toBe(1);
    await waitFor(() => a.evaluate("shop", "u").experiment !== null && b.evaluate("shop", "u").experiment !== null, 5000, "SDKs see the experiment");
  }, 30_000);

  it("run routes each unit through its version, and its answer is the version's", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const run = await a.run("shop", "pricing", `unit-${i}`, { qty: 10, unitPrice: 5 });
      const assigned = a.evaluate("shop", `unit-${i}`);
      expect(run.version).toBe(run.assigned);
      expect(run.fallback).toBe(false);
      // The assigned version is the value of the bound setting for this unit: exactly what evaluate says.
      expect(run.assigned).toBe((assigned.value as { pricing: string }).pricing);
      expect(run.output).toEqual({ total: run.version === BULK ? 45 : 50 });
      seen.add(run.version);
    }
    expect(seen).toEqual(new Set([FLAT, BULK]));
  });

  it("a unit assigned a version its SDK lacks runs the baseline's, counted as stage_missing", async () => {
    const c = open("sdk-c-000000");
    await c.ready(5000);
    c.register("pricing", flat, { input, output });
    const units = Array.from({ length: 300 }, (_, i) => `missing-${i}`);
    const assignedBulk = units.filter((u) => (c.evaluate("shop", u).value as { pricing: string }).pricing === BULK);
    for (const u of units) {
      const run = await c.run("shop", "pricing", u, { qty: 2, unitPrice: 3 });
      expect(run.version).toBe(FLAT);
      expect(run.reason).toBe(assignedBulk.includes(u) ? "STAGE_MISSING" : run.reason);
    }
    expect(assignedBulk.length).toBeGreaterThan(50);
    expect(c.stats.stageMissing).toBe(assignedBulk.length);
    // Reported with the registry: the daemon counts them.
    await waitFor(async () => /evolvd_stage_missing_total\{target="shop",stage="pricing"\} (\d+)/.exec(await daemon.metrics.registry.metrics())?.[1] === String(assignedBulk.length), 5000, "stage_missing counted by the daemon");
  });

  it("a bad input is the caller's error; a bad output falls back to the baseline and is the version's error", async () => {
    await expect(a.run("shop", "pricing", "unit-1", { qty: 0 })).rejects.toThrow(StageError);
    await expect(a.run("shop", "pricing", "unit-1", { qty: 0 })).rejects.toMatchObject({ code: "invalid_input" });
    await expect(a.run("shop", "nope", "unit-1", { qty: 1, unitPrice: 1 })).rejects.toMatchObject({ code: "unbound_stage" });
    let fallbacks = 0;
    for (let i = 0; i < 400; i++) {
      const run = await a.run("shop", "pricing", `big-${i}`, { qty: 200, unitPrice: 1 });
      expect(run.output).toEqual({ total: 200 });
      expect(run.version).toBe(FLAT);
      if (run.assigned === BULK) {
        expect(run.fallback).toBe(true);
        expect(run.error).toMatch(/output.*total/);
        fallbacks++;
      }
    }
    expect(fallbacks).toBeGreaterThan(100);
    await a.flush();
    // The error outcomes reach the candidate's arm, and its circuit breaker (policy.errorKpi, a default hard limit) pulls it.
    const pulled = async () => (await getJson<{ history: HistoryEntry[] }>(`${daemon.url}/v1/targets/shop/history`)).history.find((e) => e.kind === "arm_exit" && e.exit === "pulled");
    await waitFor(async () => (await pulled()) !== undefined, 10_000, "the failing version pulled");
    const exit = await pulled();
    expect(exit?.kind === "arm_exit" && exit.reason).toMatch(/error/);
  }, 30_000);

  it("side effects go with the outcomes into the history of each version", async () => {
    for (const c of clients) await c.flush();
    await daemon.stop();
    const history = await new FileStore(join(dir, "data")).read("shop");
    const effects = history.filter((e): e is Extract<HistoryEntry, { kind: "side_effects" }> => e.kind === "side_effects");
    // Side effects are kept by the target's version (the configuration) whose stage setting ran them.
    const configOf = (stageVersion: string) => history.flatMap((e) => (e.kind === "version" && e.version.values.pricing === stageVersion ? [e.version.id] : []));
    const of = (stageVersion: string) => effects.filter((e) => configOf(stageVersion).includes(e.version));
    const count = (version: string, key: string) => of(version).reduce((n, e) => n + (e.counts[key] ?? 0), 0);
    expect(count(BULK, "pricing:db.write")).toBeGreaterThan(50);
    expect(count(FLAT, "pricing:db.read")).toBeGreaterThan(50);
    // The fallback's read is kept with the failing version's outcome.
    expect(count(BULK, "pricing:db.read")).toBeGreaterThan(50);
    expect(count(FLAT, "pricing:db.write")).toBe(0);
    expect(of(BULK)[0]?.samples[0]).toMatchObject({ stage: "pricing", kind: expect.stringMatching(/^db\./) });
  }, 30_000);
});
