import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { StageError, StageSet, stageVersionOf, type StageContext } from "../../../src/sdk/stages.js";

/** (module (func (export "run") (param f64) (result f64) local.get 0 local.get 0 f64.add)): doubles its input. */
const DOUBLE = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7c, 0x01, 0x7c, 0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03, 0x72, 0x75, 0x6e, 0x00, 0x00, 0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x00, 0xa0, 0x0b]);
/** The same module exporting "go" instead of "run". */
const NO_RUN = DOUBLE.map((b, i) => (i === 24 ? 0x67 : i === 25 ? 0x6f : i === 26 ? 0x6f : b));
const ctx: StageContext = { target: "t", unit: "u", stage: "s", version: "v", effect: () => {} };

describe("the SDK's stage registry", () => {
  it("names a version by the SHA-256 of its code: the function's source text, or the module's bytes", () => {
    const price = (x: { qty: number }) => x.qty * 2;
    expect(stageVersionOf(price)).toBe(createHash("sha256").update(price.toString()).digest("hex"));
    expect(stageVersionOf(DOUBLE)).toBe(createHash("sha256").update(DOUBLE).digest("hex"));
    expect(stageVersionOf(DOUBLE.buffer)).toBe(stageVersionOf(DOUBLE));
  });

  it("runs a WebAssembly stage's exported run, and refuses a module without one", async () => {
    const stages = new StageSet();
    const wasm = stages.register("double", DOUBLE);
    await wasm.ready;
    expect(await stages.get("double", wasm.version)?.call(21, ctx)).toBe(42);
    const broken = stages.register("other", NO_RUN);
    await expect(broken.ready).rejects.toThrow(/exports no "run"/);
    expect(stages.get("other", broken.version)).toBeUndefined();
    expect(stages.report().find((s) => s.id === "other")?.versions).toEqual([]);
  });

  it("checks inputs and outputs against the stage's JSON schemas", () => {
    const stages = new StageSet();
    const { version } = stages.register("pricing", (x: { qty: number }) => ({ total: x.qty }), { input: { type: "object", required: ["qty"] }, output: { type: "object", properties: { total: { type: "number", minimum: 0 } } } });
    const v = stages.get("pricing", version);
    expect(v?.checkInput({ qty: 1 })).toBeNull();
    expect(v?.checkInput({})).toMatch(/input must have required property 'qty'/);
    expect(v?.checkOutput({ total: -1 })).toMatch(/output\/total must be >= 0/);
    expect(() => stages.register("pricing", (x: unknown) => x, { input: { type: "nonsense" } })).toThrow(StageError);
  });

  it("keeps a version's schemas and a stage's mutability fixed", () => {
    const stages = new StageSet();
    const f = (x: number) => x + 1;
    const first = stages.register("inc", f, { output: { type: "number" } });
    expect(stages.register("inc", f, { output: { type: "number" } }).version).toBe(first.version);
    expect(() => stages.register("inc", f, { output: { type: "integer" } })).toThrow(/other schemas/);
    expect(() => stages.register("inc", (x: number) => x + 2, { mutable: true })).toThrow(/immutable/);
    expect(() => stages.register("Bad Id", f)).toThrow(/stage id/);
  });

  it("gives an immutable stage a frozen copy of its input and a mutable one a copy of its own", async () => {
    const stages = new StageSet();
    const writer = (x: { n: number }) => {
      x.n = 99;
      return x.n;
    };
    const frozen = stages.register("frozen", writer);
    const mutable = stages.register("mutable", (x: { n: number }) => ((x.n = 99), x.n), { mutable: true });
    const input = { n: 1 };
    await expect(stages.get("frozen", frozen.version)?.call(input, ctx)).rejects.toThrow(TypeError);
    expect(await stages.get("mutable", mutable.version)?.call(input, ctx)).toBe(99);
    expect(input).toEqual({ n: 1 });
  });
});
