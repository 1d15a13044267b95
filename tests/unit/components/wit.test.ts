import { describe, expect, it } from "vitest";
import { parseWit, WitError } from "../../../src/sdk/components/wit.js";
import { coreSignature, exportName } from "../../../src/sdk/components/abi.js";
import { RECOMMENDER_WIT } from "../../components.js";

const STATE = `interface state { capture: func() -> list<u8>; initialize: func(state: list<u8>); }`;

describe("the WIT subset of component interfaces", () => {
  it("reads the recommender world: its interfaces, functions and canonical export names", () => {
    const world = parseWit(RECOMMENDER_WIT);
    expect(world.package).toBe("evolvd:recommender@0.1.0");
    expect(world.name).toBe("recommender");
    expect(world.exports.map((i) => i.qualified)).toEqual(["evolvd:recommender/state@0.1.0", "evolvd:recommender/scorer@0.1.0"]);
    const scorer = world.exports[1]!;
    expect(scorer.functions.map((f) => f.name)).toEqual(["score", "observe", "impressions"]);
    expect(scorer.functions[0]).toEqual({ name: "score", params: [{ name: "item", type: "u32" }, { name: "segment", type: "u32" }], result: "f64" });
    expect(exportName(scorer, scorer.functions[0]!)).toBe("evolvd:recommender/scorer@0.1.0#score");
  });

  it("lowers signatures as the canonical ABI does: lists to (pointer, length), a list result through a pointer", () => {
    const world = parseWit(RECOMMENDER_WIT);
    const [capture, initialize] = world.exports[0]!.functions;
    expect(coreSignature(capture!)).toEqual({ params: [], results: ["i32"] });
    expect(coreSignature(initialize!)).toEqual({ params: ["i32", "i32"], results: [] });
    expect(coreSignature({ name: "f", params: [{ name: "a", type: "bool" }, { name: "b", type: "s64" }, { name: "c", type: "f32" }], result: "u64" })).toEqual({ params: ["i32", "i64", "f32"], results: ["i64"] });
  });

  it("refuses what it cannot honour, saying where and why", () => {
    const bad = (text: string) => () => parseWit(text);
    expect(bad(`package a:b@1.0.0;\n${STATE}\ninterface x {\n  f: func(s: string);\n}\nworld w { export state; export x; }`)).toThrow(/line 4: type "string" is not one a component may use/);
    expect(bad(`package a:b@1.0.0;\ninterface x { f: func(); }\nworld w { export x; }`)).toThrow(/must export an interface "state" with capture/);
    expect(bad(`package a:b@1.0.0;\n${STATE}\nworld w { export state; import state; }`)).toThrow(/only exports.*no imports/);
    expect(bad(`package a:b@1.0.0;\n${STATE}\nworld w { export state; export nope; }`)).toThrow(/exports "nope", which is not declared/);
    expect(bad(`package a:b@1.0.0;\n${STATE}\n${STATE}\nworld w { export state; }`)).toThrow(/interface "state" is declared twice/);
    expect(bad(`package ab;\n${STATE}\nworld w { export state; }`)).toThrow(/package "ab" is not namespace:name/);
    expect(bad(`package a:b@1.0.0;\n${STATE}\nworld v { export state; }\nworld w { export state; }`)).toThrow(/several worlds \(v, w\): name one/);
    expect(bad(`package a:b@1.0.0;\n${STATE}`)).toThrow(WitError);
    expect(parseWit(`package a:b@1.0.0;\n${STATE}\nworld v { export state; }\nworld w { export state; }`, "w").name).toBe("w");
  });

  it("takes comments of both kinds anywhere", () => {
    const world = parseWit(`// a\npackage a:b@1.0.0; /* b\n c */\n/// d\n${STATE}\nworld w { export state; } // e`);
    expect(world.exports[0]?.functions).toHaveLength(2);
  });
});
