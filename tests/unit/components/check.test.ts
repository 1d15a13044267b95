import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { interfaceProblems } from "../../../src/sdk/components/check.js";
import { parseWit } from "../../../src/sdk/components/wit.js";
import { moduleShape } from "../../../src/sdk/components/wasm-binary.js";
import { ROOT } from "../../helpers.js";
import { RECOMMENDER_WIT, variant } from "../../components.js";
import { RECOMMENDER, tinyModule } from "./tiny-wasm.js";

const world = parseWit(RECOMMENDER_WIT);

describe("a module checked against its component's interface", () => {
  it("passes every shipped variant, the broken ones too (they break at run time, not in shape)", () => {
    for (const name of ["popularity", "explore", "shrunk", "broken-state", "broken-start"] as const) expect(interfaceProblems(variant(name), world), name).toEqual([]);
    expect(interfaceProblems(tinyModule({ functions: RECOMMENDER }), world)).toEqual([]);
  });

  it("reads a module's export signatures off its bytes", () => {
    const shape = moduleShape(variant("popularity"));
    expect(shape.imports).toEqual([]);
    expect(shape.exports.get("evolvd:recommender/scorer@0.1.0#score")).toEqual({ kind: "function", signature: { params: ["i32", "i32"], results: ["f64"] } });
    expect(shape.exports.get("memory")).toEqual({ kind: "memory" });
  });

  it("names every mismatch: a missing function, a wrong signature, an import, no memory, no allocator", () => {
    const without = (name: string) => RECOMMENDER.filter((f) => f.name !== name);
    expect(interfaceProblems(tinyModule({ functions: without("evolvd:recommender/scorer@0.1.0#observe") }), world)).toEqual([`exports no "evolvd:recommender/scorer@0.1.0#observe" (scorer.observe)`]);
    const wrong = RECOMMENDER.map((f) => (f.name.endsWith("#score") ? { ...f, results: ["f32" as const] } : f));
    expect(interfaceProblems(tinyModule({ functions: wrong }), world)).toEqual([`"evolvd:recommender/scorer@0.1.0#score" is (i32, i32) -> (f32); the interface's score lowers to (i32, i32) -> (f64)`]);
    expect(interfaceProblems(tinyModule({ functions: RECOMMENDER, imports: [{ module: "env", name: "fetch" }] }), world)).toEqual(["imports env.fetch (a function): a component may import nothing"]);
    expect(interfaceProblems(tinyModule({ functions: RECOMMENDER, memory: false }), world)).toEqual([`exports no memory named "memory"`]);
    expect(interfaceProblems(tinyModule({ functions: without("cabi_realloc") }), world)).toEqual(["exports no cabi_realloc: (i32, i32, i32, i32) -> i32"]);
  });

  it("refuses bytes that are not a core module, and another world's module, with the reason", () => {
    expect(interfaceProblems(new TextEncoder().encode("not wasm at all"), world)).toEqual(["not a WebAssembly module (no \\0asm header)"]);
    const component = Uint8Array.from([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]);
    expect(interfaceProblems(component, world)[0]).toMatch(/not a core WebAssembly module of version 1/);
    expect(interfaceProblems(variant("popularity").subarray(0, 40), world)[0]).toMatch(/runs past the end|ends at byte/);
    const bandit = new Uint8Array(readFileSync(join(ROOT, "wasm-kernels", "build", "bandit.wasm")));
    const problems = interfaceProblems(bandit, world);
    expect(problems).toContain(`exports no "evolvd:recommender/state@0.1.0#capture" (state.capture)`);
    expect(problems.length).toBeGreaterThanOrEqual(6);
  });
});
