import { describe, expect, it } from "vitest";
import type { HistoryEntry } from "../../src/domain/history.js";
import { currentBaseline } from "../../src/domain/history.js";
import type { Version } from "../../src/domain/version.js";
import type { HistoryStore } from "../../src/domain/ports.js";

export const version = (n: number): Version => ({
  id: n.toString(16).padStart(64, "0"),
  target: "checkout",
  values: { retry: { limit: n } },
  parent: n > 1 ? (n - 1).toString(16).padStart(64, "0") : null,
  mutations: n > 1 ? [{ path: "retry.limit", op: "nudge", from: n - 1, to: n }] : [],
  seed: n > 1 ? `seed/candidate:${n}` : null,
  generation: n - 1,
  createdAt: 1000 + n,
});

/**
 * The one suite every HistoryStore must pass: memory, file and (scale-out) Redis.
 * `make` returns a fresh, empty store each time.
 */
export function historyStoreContract(name: string, make: () => Promise<HistoryStore> | HistoryStore): void {
  describe(`HistoryStore contract: ${name}`, () => {
    it("reads an unknown target as an empty history", async () => {
      const store = await make();
      expect(await store.read("nobody")).toEqual([]);
      expect(await store.targets()).toEqual([]);
    });

    it("round-trips entries in order, deep-equal", async () => {
      const store = await make();
      const entries: HistoryEntry[] = [
        { kind: "version", at: 1, version: version(1) },
        { kind: "baseline", at: 1, version: version(1).id, previous: null, cause: "initial", reason: "from file" },
        { kind: "version", at: 2, version: version(2) },
        { kind: "transition", at: 3, experiment: "checkout/g1", generation: 1, from: "running", to: "committed", reason: "won", evidence: { effect: 0.1, ci: [0.01, 0.2] } },
        { kind: "baseline", at: 3, version: version(2).id, previous: version(1).id, cause: "commit", reason: "won", experiment: "checkout/g1" },
      ];
      await store.append("checkout", entries.slice(0, 2));
      await store.append("checkout", entries.slice(2));
      expect(await store.read("checkout")).toEqual(entries);
      expect(currentBaseline(await store.read("checkout"))).toBe(version(2).id);
      expect(await store.targets()).toEqual(["checkout"]);
    });

    it("keeps targets apart", async () => {
      const store = await make();
      await store.append("a-target", [{ kind: "version", at: 1, version: version(1) }]);
      await store.append("b-target", [{ kind: "version", at: 2, version: version(2) }]);
      expect((await store.read("a-target")).map((e) => e.at)).toEqual([1]);
      expect((await store.read("b-target")).map((e) => e.at)).toEqual([2]);
      expect(await store.targets()).toEqual(["a-target", "b-target"]);
    });

    it("serialises concurrent appends without interleaving batches", async () => {
      const store = await make();
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.append("checkout", [
            { kind: "version", at: i, version: version(i + 1) },
            { kind: "baseline", at: i, version: version(i + 1).id, previous: null, cause: "rollback", reason: `batch ${i}` },
          ]),
        ),
      );
      const history = await store.read("checkout");
      expect(history).toHaveLength(40);
      for (let j = 0; j < 40; j += 2) expect(history[j]?.at).toBe(history[j + 1]?.at);
    });

    it("returns copies: changing what was read changes nothing stored", async () => {
      const store = await make();
      await store.append("checkout", [{ kind: "version", at: 1, version: version(1) }]);
      const read = await store.read("checkout");
      (read[0] as { at: number }).at = 99;
      expect((await store.read("checkout"))[0]?.at).toBe(1);
    });
  });
}

/** Checkpoints: replaced whole, read back as written, removable. */
export function checkpointContract(name: string, make: () => Promise<HistoryStore> | HistoryStore): void {
  describe(`HistoryStore checkpoints: ${name}`, () => {
    it("saves, replaces, reads back and removes a target's checkpoint", async () => {
      const store = await make();
      expect(await store.loadCheckpoint("checkout")).toBeNull();
      await store.saveCheckpoint("checkout", '{"a":1}');
      await store.saveCheckpoint("checkout", '{"a":2}');
      expect(await store.loadCheckpoint("checkout")).toBe('{"a":2}');
      expect(await store.loadCheckpoint("other")).toBeNull();
      await store.saveCheckpoint("checkout", null);
      expect(await store.loadCheckpoint("checkout")).toBeNull();
    });

    it("appends to one experiment's served journal; another experiment's or no checkpoint drops it", async () => {
      const store = await make();
      expect(await store.loadServed("checkout", "checkout/g1")).toBe("");
      await store.appendServed("checkout", "checkout/g1", '["u1",33]\n');
      await store.appendServed("checkout", "checkout/g1", '["u2",66]\n');
      expect(await store.loadServed("checkout", "checkout/g1")).toBe('["u1",33]\n["u2",66]\n');
      expect(await store.loadServed("checkout", "checkout/g2")).toBe("");
      await store.appendServed("checkout", "checkout/g2", '["u3",33]\n');
      expect(await store.loadServed("checkout", "checkout/g1")).toBe("");
      expect(await store.loadServed("checkout", "checkout/g2")).toBe('["u3",33]\n');
      await store.saveCheckpoint("checkout", '{"a":1}');
      await store.saveCheckpoint("checkout", null);
      expect(await store.loadServed("checkout", "checkout/g2")).toBe("");
    });
  });
}
