import { describe, expect, it } from "vitest";
import { IN_CHUNK, UnitTable } from "../../src/evidence/unit-table.js";

describe("the unit table's storage", () => {
  it("keeps every row apart across chunks carved from shared 32 MB slabs", () => {
    const k = 3;
    const table = new UnitTable(k);
    const n = 300_000; // five chunks: the first alone, the others in slabs
    for (let i = 0; i < n; i++) {
      const row = table.begin(i ^ 0x5bd1e995, Math.imul(i, 2654435761) >>> 0, i & 0xffff, i);
      const chunk = table.chunkOf(row);
      const j = row & IN_CHUNK;
      for (let r = 0; r < k; r++) {
        chunk.counts[j * k + r] = (i + r) & 0xffff;
        chunk.sums[j * k + r] = i + r / 4;
      }
    }
    expect(table.chunkOf(0).keys.buffer.byteLength).toBeLessThan(4 * 2 ** 20);
    expect(table.chunkOf(65_536).keys.buffer).toBe(table.chunkOf(131_072).sums.buffer);
    for (let i = 0; i < n; i++) {
      const row = table.find(i ^ 0x5bd1e995, Math.imul(i, 2654435761) >>> 0);
      expect(row).toBe(i);
      const chunk = table.chunkOf(row);
      const j = row & IN_CHUNK;
      if (chunk.meta[j] !== (i & 0xffff) || chunk.periods[j] !== i) throw new Error(`row ${i}: meta or period overwritten`);
      for (let r = 0; r < k; r++) if (chunk.counts[j * k + r] !== ((i + r) & 0xffff) || chunk.sums[j * k + r] !== i + r / 4) throw new Error(`row ${i}: KPI ${r} overwritten`);
    }
  });
});
