import fc from "fast-check";
import jsonLogic from "json-logic-js";
import { describe, expect, it } from "vitest";
import { compileRule, matches } from "../../../src/targeting/audience.js";
import { compiledAudience } from "../../../src/targeting/compiled-rule.js";

const ATTRIBUTES = ["country", "device", "orders", "plan", "beta", "nested", "missing"] as const;
const scalar = fc.oneof(fc.constantFrom("DE", "FR", "mobile", "desktop", "", "0", "1", "pro"), fc.integer({ min: -3, max: 30 }), fc.constantFrom(0, 1, 2.5, true, false, null));
const varNode = fc.oneof(
  fc.constantFrom(...ATTRIBUTES, "nested.level", "nested.missing.deeper", "$evolvd.hourUtc", "$evolvd.target").map((path) => ({ var: path })),
  fc.tuple(fc.constantFrom(...ATTRIBUTES, "nested.level"), scalar).map(([path, fallback]) => ({ var: [path, fallback] })),
);
/** Random rules of the compiled operators, nested a few levels, over literals and variables. */
const rule: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, scalar, varNode, tie("op")),
  op: fc.oneof(
    fc.tuple(fc.constantFrom("==", "===", "!=", "!==", ">", ">=", "<", "<=", "starts_with", "ends_with"), tie("value"), tie("value")).map(([op, a, b]) => ({ [op]: [a, b] })),
    fc.tuple(fc.constantFrom("<", "<="), tie("value"), tie("value"), tie("value")).map(([op, a, b, c]) => ({ [op]: [a, b, c] })),
    fc.tuple(tie("value"), fc.oneof(fc.array(scalar, { maxLength: 4 }), fc.constantFrom("DEFR", "mobile-desktop"), varNode)).map(([a, b]) => ({ in: [a, b] })),
    fc.tuple(fc.constantFrom("and", "or"), fc.array(tie("value"), { maxLength: 4 })).map(([op, list]) => ({ [op]: list })),
    fc.tuple(fc.constantFrom("!", "!!"), tie("value")).map(([op, a]) => ({ [op]: [a] })),
    fc.tuple(fc.constantFrom("if", "?:"), fc.array(tie("value"), { minLength: 0, maxLength: 5 })).map(([op, list]) => ({ [op]: list })),
  ),
})).value;
const context = fc.record(
  { country: fc.constantFrom("DE", "FR", "US", ""), device: fc.constantFrom("mobile", "desktop"), orders: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constantFrom("3", null)), plan: fc.constantFrom("pro", "free", 0), beta: fc.boolean(), nested: fc.oneof(fc.record({ level: fc.integer({ min: 0, max: 5 }) }), fc.constant(null)) },
  { requiredKeys: [] },
);

/** json-logic-js itself, with the data matches() builds: the context as prototype, $evolvd own. */
function interpreted(rule: unknown, ctx: Record<string, unknown>, now: number): { value?: unknown; threw?: true } {
  const day = Math.floor(now / 86_400_000);
  const $evolvd = { timestamp: Math.floor(now / 1000), target: "checkout", hourUtc: Math.floor((now - day * 86_400_000) / 3_600_000), weekdayUtc: (((day + 4) % 7) + 7) % 7 };
  try {
    return { value: jsonLogic.apply(rule as never, Object.create(ctx, { $evolvd: { value: $evolvd, enumerable: true } })) };
  } catch {
    return { threw: true };
  }
}

describe("audience rules compiled to closures", () => {
  it("give exactly json-logic-js's value on random rules and contexts", () => {
    let compiledCount = 0;
    fc.assert(
      fc.property(rule, context, fc.integer({ min: 0, max: 2e12 }), (r, ctx, now) => {
        const checked = compileRule(r, "rule");
        if (!checked.rule || typeof checked.rule !== "object") return;
        const fn = compiledAudience(checked.rule);
        if (fn === null) return;
        compiledCount++;
        const expected = interpreted(checked.rule, ctx, now);
        let got: { value?: unknown; threw?: true };
        try {
          got = { value: fn(ctx, (key) => (interpreted({ var: `$evolvd.${key}` }, {}, now).value as unknown)) };
        } catch {
          got = { threw: true };
        }
        expect(got).toEqual(expected);
        expect(matches(checked.rule, ctx, { now, target: "checkout" })).toBe(expected.threw ? false : Array.isArray(expected.value) ? expected.value.length > 0 : !!expected.value);
      }),
      { numRuns: 3000, seed: 20261203 },
    );
    expect(compiledCount).toBeGreaterThan(1500);
  });

  it("leaves other operators to the interpreter", () => {
    expect(compiledAudience({ sem_ver: [{ var: "app" }, ">=", "1.2.0"] } as never)).toBeNull();
    expect(compiledAudience({ and: [{ "==": [1, 1] }, { cat: ["a", "b"] }] } as never)).toBeNull();
    expect(compiledAudience({ var: "" } as never)).toBeNull();
    expect(compiledAudience({ in: [{ var: "country" }, ["DE", "AT"]] } as never)).not.toBeNull();
  });
});
