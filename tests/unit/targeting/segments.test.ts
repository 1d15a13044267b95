import { describe, expect, it } from "vitest";
import { compileSegments, segmentOf, type Segment } from "../../../src/targeting/segments.js";

const VARS = { now: Date.UTC(2026, 2, 6, 12), target: "checkout" };
const problemsOf = (raw: unknown): string[] => compileSegments(raw, "policy.segments").problems;

function segments(raw: unknown): readonly Segment[] {
  const compiled = compileSegments(raw, "policy.segments");
  expect(compiled.problems).toEqual([]);
  return compiled.segments as readonly Segment[];
}

describe("segmentOf", () => {
  const split = segments([
    { name: "loyal_dach", rule: { and: [{ in: [{ var: "country" }, ["DE", "AT", "CH"]] }, { ">=": [{ var: "orders30d" }, 3] }] } },
    { name: "dach", rule: { in: [{ var: "country" }, ["DE", "AT", "CH"]] } },
    { name: "mobile", rule: { "==": [{ var: "device" }, "mobile"] } },
  ]);

  it("puts a unit in the first segment it matches, so the segments partition the units", () => {
    expect(segmentOf(split, { country: "DE", orders30d: 5, device: "mobile" }, VARS)).toBe("loyal_dach");
    expect(segmentOf(split, { country: "AT", orders30d: 1, device: "mobile" }, VARS)).toBe("dach");
    expect(segmentOf(split, { country: "FR", device: "mobile" }, VARS)).toBe("mobile");
  });

  it("returns other when none matches, also with no segments at all", () => {
    expect(segmentOf(split, { country: "FR", device: "desktop" }, VARS)).toBe("other");
    expect(segmentOf(split, {}, VARS)).toBe("other");
    expect(segmentOf(segments([]), { country: "DE" }, VARS)).toBe("other");
  });
});

describe("compileSegments", () => {
  it("refuses what is not a list of { name, rule }", () => {
    expect(problemsOf({ name: "a", rule: true })).toEqual(["policy.segments: must be an array of segments ({ name, rule })"]);
    expect(problemsOf(["mobile"])).toEqual(["policy.segments[0]: must be an object { name, rule }"]);
    expect(problemsOf([{ name: "mobile", rule: true, label: "Mobile" }])).toEqual(["policy.segments[0].label: unknown key; expected name, rule"]);
    expect(problemsOf([{ name: "mobile" }])).toEqual(["policy.segments[0].rule: required (a JsonLogic rule)"]);
  });

  it("names: snake_case, unique, not all or other", () => {
    const expected = "expected snake_case matching ^[a-z][a-z0-9_]{0,63}$";
    expect(problemsOf([{ name: "Mobile", rule: true }])).toEqual([`policy.segments[0].name: "Mobile" is not a segment name; ${expected}`]);
    expect(problemsOf([{ name: "1st", rule: true }])).toHaveLength(1);
    expect(problemsOf([{ name: "a-b", rule: true }])).toHaveLength(1);
    expect(problemsOf([{ name: `a${"b".repeat(64)}`, rule: true }])).toHaveLength(1);
    expect(problemsOf([{ rule: true }])).toEqual([`policy.segments[0].name: undefined is not a segment name; ${expected}`]);
    expect(problemsOf([{ name: "all", rule: true }])).toEqual(['policy.segments[0].name: "all" is reserved ("all" and "other" name the whole and the rest)']);
    expect(problemsOf([{ name: "other", rule: true }])).toEqual(['policy.segments[0].name: "other" is reserved ("all" and "other" name the whole and the rest)']);
    expect(problemsOf([{ name: "mobile", rule: true }, { name: "mobile", rule: false }])).toEqual(['policy.segments[1].name: "mobile" names two segments']);
    expect(segments([{ name: `a${"b".repeat(63)}`, rule: true }])).toHaveLength(1);
  });

  it("at most 16 segments", () => {
    const many = (n: number): unknown[] => Array.from({ length: n }, (_, i) => ({ name: `s${i}`, rule: true }));
    expect(segments(many(16))).toHaveLength(16);
    expect(problemsOf(many(17))).toEqual(["policy.segments: at most 16 segments, found 17"]);
  });

  it("rule problems name the segment's rule path", () => {
    expect(problemsOf([{ name: "a", rule: true }, { name: "b", rule: { and: [true, { foo: 1 }] } }])).toEqual(['policy.segments[1].rule.and[1]: unknown operator "foo"']);
  });
});
