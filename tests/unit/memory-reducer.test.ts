import { VirtualTimeScheduler } from "rxjs";
import { describe, expect, it } from "vitest";
import { fullCollection, startMemoryReducer } from "../../src/daemon/memory-reducer.js";

const MB = 2 ** 20;

/** A heap whose used size the test sets; a collection drops it to `live`. */
function fakeHeap(live: number) {
  const heap = { used: live, live, collections: 0 };
  return { heap, heapUsed: () => heap.used, collect: () => ((heap.used = heap.live), heap.collections++) };
}

describe("the memory reducer", () => {
  it("collects once when the heap is quiet and holds garbage, and leaves a busy heap to V8", () => {
    const scheduler = new VirtualTimeScheduler();
    const { heap, heapUsed, collect } = fakeHeap(30 * MB);
    const reducer = startMemoryReducer({ everyMs: 1000, slackBytes: 24 * MB, quietBytes: 4 * MB, heapUsed, collect, scheduler });
    // A burst: the heap grows fast between looks; no collection while it is busy.
    for (const used of [60, 110, 160, 200]) {
      heap.used = used * MB;
      scheduler.schedule(() => {}, 0);
      scheduler.maxFrames = scheduler.frame + 1000;
      scheduler.flush();
    }
    expect(heap.collections).toBe(0);
    // Quiet now, 170 MB above what is live: one collection, and none after it.
    scheduler.maxFrames = scheduler.frame + 5000;
    scheduler.flush();
    expect(heap.collections).toBe(1);
    expect(heap.used).toBe(30 * MB);
    // Small, slow growth (ticks, checkpoints) stays under the slack: no more collections.
    heap.used = 40 * MB;
    scheduler.maxFrames = scheduler.frame + 10_000;
    scheduler.flush();
    expect(heap.collections).toBe(1);
    reducer.stop();
  });

  it("when more is live than before, collects once and takes the new size as its floor", () => {
    const scheduler = new VirtualTimeScheduler();
    const { heap, heapUsed, collect } = fakeHeap(20 * MB);
    startMemoryReducer({ everyMs: 1000, slackBytes: 24 * MB, quietBytes: 4 * MB, heapUsed, collect, scheduler });
    heap.live = heap.used = 80 * MB; // a new target's state, all of it live
    scheduler.maxFrames = 10_000;
    scheduler.flush();
    expect(heap.collections).toBe(1);
  });

  it("gets V8's full collection at run time", () => {
    expect(typeof fullCollection()).toBe("function");
  });
});
