import { describe, expect, it } from "vitest";
import { parseEvent } from "../../src/stream/parse-event.js";

const arm = "a".repeat(64);
const codeOf = (line: unknown): string => {
  const r = parseEvent(line);
  return r.ok ? "ok" : r.error.code;
};

describe("event lines", () => {
  it("accepts the documented exposure and outcome shapes", () => {
    expect(codeOf(`{"type":"exposure","target":"checkout","unit":"u1","ts":1700000000000,"arm":"${arm}","attributes":{"device":"mobile"}}`)).toBe("ok");
    expect(codeOf({ type: "outcome", target: "checkout", unit: "u1", ts: 1, metrics: { conversion: 1, latency_ms: 182 } })).toBe("ok");
  });

  it.each([
    ["{not json", "invalid_json"],
    ["[1,2]", "not_an_object"],
    ['{"type":"click","target":"t","unit":"u","ts":1}', "invalid_type"],
    ['{"type":"exposure","target":"t","unit":"u","ts":1,"metrics":{"x":1}}', "unknown_field"],
    ['{"type":"exposure","target":"","unit":"u","ts":1}', "invalid_target"],
    ['{"type":"exposure","target":"t","unit":"","ts":1}', "invalid_unit"],
    ['{"type":"exposure","target":"t","unit":"u","ts":"yesterday"}', "invalid_ts"],
    ['{"type":"exposure","target":"t","unit":"u","ts":1,"arm":"v2"}', "invalid_arm"],
    ['{"type":"exposure","target":"t","unit":"u","ts":1,"attributes":{"n":null}}', "invalid_attributes"],
    ['{"type":"exposure","target":"t","unit":"u","ts":1,"attributes":{"n":{"deep":1}}}', "invalid_attributes"],
    ['{"type":"outcome","target":"t","unit":"u","ts":1}', "invalid_metrics"],
    ['{"type":"outcome","target":"t","unit":"u","ts":1,"metrics":{}}', "invalid_metrics"],
    ['{"type":"outcome","target":"t","unit":"u","ts":1,"metrics":{"Conversion":1}}', "invalid_metrics"],
    ['{"type":"outcome","target":"t","unit":"u","ts":1,"metrics":{"conversion":"1"}}', "invalid_metrics"],
  ])("rejects %s as %s", (line, code) => {
    expect(codeOf(line)).toBe(code);
  });

  it("names the field in the message", () => {
    const r = parseEvent('{"type":"outcome","target":"t","unit":"u","ts":1,"metrics":{"revenue":null}}');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toBe("metrics.revenue: must be a number within ±1000000000000");
  });

  it("refuses values whose sums would overflow, and lines over the limit in bytes (not UTF-16 units)", () => {
    expect(codeOf('{"type":"outcome","target":"t","unit":"u","ts":1,"metrics":{"revenue":1e308}}')).toBe("invalid_metrics");
    expect(codeOf('{"type":"outcome","target":"t","unit":"u","ts":1,"metrics":{"revenue":-1e13}}')).toBe("invalid_metrics");
    // 30,000 three-byte characters: 30,000 UTF-16 units but 90,000 bytes, over the 64 KiB limit
    // (in 120 attributes: one may hold at most 256 characters).
    const many = (c: string) => Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`a${i}`, c.repeat(250)]));
    const wide = JSON.stringify({ type: "exposure", target: "t", unit: "u", ts: 1, attributes: many("€") });
    expect(wide.length).toBeLessThan(65_536);
    expect(codeOf(wide)).toBe("line_too_long");
    const ascii = JSON.stringify({ type: "exposure", target: "t", unit: "u", ts: 1, attributes: many("e") });
    expect(codeOf(ascii)).toBe("ok");
    expect(codeOf(JSON.stringify({ type: "exposure", target: "t", unit: "u", ts: 1, attributes: { note: "e".repeat(257) } }))).toBe("invalid_attributes");
  });

  it("takes an outcome's side effects and refuses malformed ones, naming the rule", () => {
    const outcome = (effects: unknown) => JSON.stringify({ type: "outcome", target: "t", unit: "u", ts: 1, metrics: { error: 0 }, effects });
    expect(codeOf(outcome([{ stage: "pricing", kind: "db.write", detail: { table: "orders" } }, { stage: "pricing", kind: "http.call" }]))).toBe("ok");
    expect(codeOf(outcome({ stage: "pricing" }))).toBe("invalid_effects");
    expect(codeOf(outcome(Array.from({ length: 17 }, () => ({ stage: "p", kind: "k" }))))).toBe("invalid_effects");
    expect(codeOf(outcome([{ stage: "pricing", kind: "DB Write" }]))).toBe("invalid_effects");
    expect(codeOf(outcome([{ stage: "pricing", kind: "db.write", extra: 1 }]))).toBe("invalid_effects");
    expect(codeOf(outcome([{ stage: "pricing", kind: "db.write", detail: "x".repeat(600) }]))).toBe("invalid_effects");
    const parsed = parseEvent(outcome([{ stage: "pricing", kind: "db.write" }, 3]));
    expect(parsed.ok ? "" : parsed.error.message).toMatch(/^effects\[1\]: must be/);
    // Only outcomes carry them.
    expect(codeOf(JSON.stringify({ type: "exposure", target: "t", unit: "u", ts: 1, effects: [] }))).toBe("unknown_field");
  });

  it("never throws, whatever it is fed", () => {
    for (const input of [undefined, null, 42, "", "null", "{}", Symbol("x"), () => 1, { type: "outcome", metrics: { a: Infinity } }, "x".repeat(70_000)])
      expect(() => parseEvent(input)).not.toThrow();
    expect(codeOf("x".repeat(70_000))).toBe("line_too_long");
  });
});
