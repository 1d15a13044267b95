import { describe, expect, it } from "vitest";
import { EventBuffer, type SdkEvent } from "../../../src/sdk/event-buffer.js";

const outcome = (unit: string): SdkEvent => ({ type: "outcome", target: "checkout", unit, ts: 1, metrics: { conversion: 1 } });

describe("the SDK's event buffer", () => {
  it("holds at most maxEvents, dropping (and counting) the oldest; sends in order, in batches", async () => {
    const sent: string[][] = [];
    const buffer = new EventBuffer(async (lines) => void sent.push(lines.split("\n").map((l) => (JSON.parse(l) as { unit: string }).unit)), { maxEvents: 100, batch: 40, backoffMs: 10, maxBackoffMs: 100, now: () => 0 });
    // The send never resolves before the pushes end: one batch goes out at 40, the rest wait.
    for (let i = 0; i < 250; i++) buffer.push(outcome(`u${i}`));
    expect(buffer.stats.queued).toBeLessThanOrEqual(100);
    expect(buffer.stats.dropped + buffer.stats.queued).toBe(250 - 40);
    await buffer.flush();
    await buffer.flush();
    const units = sent.flat();
    // A backlog goes in requests of up to five batches.
    expect(sent.every((b) => b.length <= 5 * 40)).toBe(true);
    expect(sent[0]).toHaveLength(40);
    // The newest survive, oldest first.
    expect(units.at(-1)).toBe("u249");
    expect(units).toEqual([...units].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))));
    expect(buffer.stats).toMatchObject({ queued: 0, sent: units.length, retries: 0 });
    expect(units.length + buffer.stats.dropped).toBe(250);
    expect(units.slice(0, 40)).toEqual(Array.from({ length: 40 }, (_, i) => `u${i}`));
  });

  it("keeps a failed batch at the front and waits twice as long before each new try", async () => {
    let now = 0;
    let failing = true;
    const sent: string[] = [];
    const buffer = new EventBuffer(
      async (lines) => {
        if (failing) throw new Error("daemon down");
        sent.push(...lines.split("\n").map((l) => (JSON.parse(l) as { unit: string }).unit));
      },
      { maxEvents: 10, batch: 5, backoffMs: 100, maxBackoffMs: 250, now: () => now },
    );
    for (let i = 0; i < 3; i++) buffer.push(outcome(`a${i}`));
    await buffer.flush();
    expect(buffer.stats).toMatchObject({ queued: 3, retries: 1 });
    now = 50; // within the first backoff: no try
    await buffer.flush();
    expect(buffer.stats.retries).toBe(1);
    now = 100;
    await buffer.flush();
    expect(buffer.stats.retries).toBe(2);
    now = 250; // 100 + 200 not reached
    await buffer.flush();
    expect(buffer.stats.retries).toBe(2);
    failing = false;
    buffer.push(outcome("b0"));
    now = 300;
    await buffer.flush();
    expect(sent).toEqual(["a0", "a1", "a2", "b0"]);
    expect(buffer.stats).toMatchObject({ queued: 0, dropped: 0 });
  });
});
