import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/domain/logger.js";
import type { Decider } from "../../src/scale/decider.js";
import type { Replica } from "../../src/scale/replica.js";
import { SharedTarget } from "../../src/scale/shared-target.js";
import { checkoutTarget } from "../helpers.js";

/** A SharedTarget whose replica last analysed at `lastAt`, counting the decisions it runs. */
function sharedTarget(lastAt: number | undefined, now: number) {
  const decisions: string[] = [];
  const target = checkoutTarget(); // analysisEveryMs 300000
  const replica = { record: lastAt === undefined ? null : { lastSnapshot: { at: lastAt } }, flush: async () => {}, sync: async () => {} } as unknown as Replica;
  const decider = {
    run: async (label: string) => {
      decisions.push(label);
      return { state: { kind: "live", baseline: target.baseline }, propose: null };
    },
  } as unknown as Decider;
  const shared = new SharedTarget({
    target,
    replica,
    decider,
    state: { setKill: async () => {} },
    requestScreening: async () => {},
    scheduleTicks: async () => {},
    log: silentLogger,
    clock: { now: () => now },
    every: () => () => {},
    flushMs: 200,
    syncMs: 1000,
  });
  return { shared, decisions };
}

describe("a scale-out tick", () => {
  it("analyses when the last analysis is at least half an interval old, or there was none", async () => {
    for (const [lastAt, analysed] of [
      [undefined, true],
      [1_000_000 - 150_000, true],
      [1_000_000 - 149_999, false],
      [1_000_000 - 1, false],
    ] as const) {
      const { shared, decisions } = sharedTarget(lastAt, 1_000_000);
      expect(await shared.tick()).toBe(analysed);
      expect(decisions).toEqual(analysed ? ["tick"] : []);
    }
  });
});
