import { describe, expect, it } from "vitest";
import { StageRegistry, type RegistryReport } from "../../../src/stages/registry.js";
import { SideEffectLog, SAMPLES_PER_KIND } from "../../../src/stages/side-effects.js";

const V1 = "1".repeat(64);
const V2 = "2".repeat(64);
const V3 = "3".repeat(64);
const schema = { type: "object" };
const report = (sdk: string, targets: string[] | null, versions: string[], extra: Partial<RegistryReport> = {}): RegistryReport => ({
  sdk,
  targets,
  stages: [{ id: "pricing", mutable: false, versions: versions.map((version) => ({ version, input: schema, output: schema })) }],
  ...extra,
});

describe("the stage registry (what the SDKs report)", () => {
  it("offers a version to a target only once every live SDK syncing it reports it", () => {
    const registry = new StageRegistry(1000);
    expect(registry.available("pricing", "shop", 0)).toEqual([]);
    registry.report(report("a", ["shop"], [V2, V1]), 0);
    expect(registry.available("pricing", "shop", 0)).toEqual([V1, V2]);
    registry.report(report("b", null, [V1]), 0);
    expect(registry.available("pricing", "shop", 0)).toEqual([V1]);
    // An SDK syncing another target does not hold this one back.
    registry.report(report("c", ["other"], []), 0);
    expect(registry.available("pricing", "shop", 0)).toEqual([V1]);
    expect(registry.available("pricing", "other", 0)).toEqual([]);
    // B goes silent past the ttl: A alone decides.
    registry.report(report("a", ["shop"], [V1, V2, V3]), 900);
    expect(registry.available("pricing", "shop", 1500)).toEqual([V1, V2, V3]);
    // A closes: nobody syncs the target.
    registry.report(report("a", ["shop"], [], { closing: true }), 1600);
    expect(registry.available("pricing", "shop", 1600)).toEqual([]);
  });

  it("never offers a version two SDKs report with different schemas or mutability", () => {
    const registry = new StageRegistry();
    registry.report(report("a", null, [V1, V2]), 0);
    registry.report({ sdk: "b", targets: null, stages: [{ id: "pricing", mutable: false, versions: [{ version: V1, input: schema, output: schema }, { version: V2, input: { type: "string" }, output: schema }] }] }, 0);
    expect(registry.available("pricing", "shop", 0)).toEqual([V1]);
    expect(registry.stages(0)[0]?.versions.map((v) => [v.version, v.sdks, v.conflict])).toEqual([
      [V1, 2, false],
      [V2, 2, true],
    ]);
  });

  it("passes stage_missing counts on", () => {
    const counted: number[] = [];
    const registry = new StageRegistry(1000, (m) => counted.push(m.count));
    registry.report(report("a", null, [V1], { missing: [{ target: "shop", stage: "pricing", version: V2, count: 7 }, { target: "shop", stage: "pricing", version: V3, count: 0 }] }), 0);
    expect(counted).toEqual([7]);
  });
});

describe("the side-effect log", () => {
  it("counts every effect by stage and kind, keeps the latest samples, and drains into history entries", () => {
    const log = new SideEffectLog();
    for (let i = 0; i < 12; i++) log.record("shop", V1, [{ stage: "pricing", kind: "db.write", detail: { i } }, { stage: "pricing", kind: "http.call" }], i);
    log.record("shop", V2, [{ stage: "pricing", kind: "db.write" }], 20);
    const drained = log.drain(100).get("shop") ?? [];
    expect(drained).toHaveLength(2);
    const first = drained[0];
    if (first?.kind !== "side_effects") throw new Error("not a side_effects entry");
    expect(first).toMatchObject({ version: V1, at: 100, counts: { "pricing:db.write": 12, "pricing:http.call": 12 } });
    expect(first.samples.filter((s) => s.kind === "db.write").map((s) => (s.detail as { i: number }).i)).toEqual([7, 8, 9, 10, 11].slice(-SAMPLES_PER_KIND));
    expect(log.drain(200).size).toBe(0);
  });
});
