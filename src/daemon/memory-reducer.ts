import v8 from "node:v8";
import vm from "node:vm";
import { interval, type SchedulerLike } from "rxjs";

export interface MemoryReducerOptions {
  /** How often the heap is looked at. */
  readonly everyMs?: number;
  /** Garbage (heap used above what the last full collection left) worth a collection. */
  readonly slackBytes?: number;
  /** A heap that moved less than this since the last look is quiet: no burst is under way. */
  readonly quietBytes?: number;
  readonly heapUsed?: () => number;
  /** A full collection; none (no collection is ever run) when the runtime refuses to give one. */
  readonly collect?: (() => void) | null;
  readonly scheduler?: SchedulerLike;
  readonly onCollect?: (before: number, after: number) => void;
}

/**
 * V8's full collection, from a context created with `--expose-gc` (the main context stays
 * without a global `gc`); null if the flag is refused.
 */
export function fullCollection(): (() => void) | null {
  try {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as unknown;
    return typeof gc === "function" ? (gc as () => void) : null;
  } catch {
    return null;
  }
}

const MB = 2 ** 20;

/**
 * After a burst of events (a backfill, a load test, a spike) V8 leaves the old generation full
 * of garbage until allocation makes it collect again; a daemon that then goes quiet keeps that
 * memory resident, tens of MB for hours (bench:memory saw 10–55 MB of it beside a million units'
 * 50 MB of state). Every `everyMs` this looks at the heap: when it is quiet (it moved less than
 * `quietBytes` since the last look) and holds more than `slackBytes` above what the last full
 * collection left, it runs one full collection, which gives the freed pages back. Under
 * steady traffic the heap is never quiet and V8 is left alone; a quiet daemon is collected
 * once per burst.
 */
export function startMemoryReducer(options: MemoryReducerOptions = {}): { stop(): void } {
  const collect = options.collect === undefined ? fullCollection() : options.collect;
  if (!collect) return { stop() {} };
  const heapUsed = options.heapUsed ?? (() => v8.getHeapStatistics().used_heap_size);
  const slack = options.slackBytes ?? 24 * MB;
  const quiet = options.quietBytes ?? 4 * MB;
  let floor = heapUsed();
  let last = floor;
  const subscription = interval(options.everyMs ?? 10_000, options.scheduler).subscribe(() => {
    const used = heapUsed();
    const still = Math.abs(used - last) < quiet;
    last = used;
    // V8's own collections lower the floor; only ours raise it (to what is live now).
    floor = Math.min(floor, used);
    if (!still || used - floor <= slack) return;
    collect();
    floor = last = heapUsed();
    options.onCollect?.(used, floor);
  });
  return { stop: () => subscription.unsubscribe() };
}
