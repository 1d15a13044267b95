import type { HistoryEntry } from "../domain/history.js";
import type { Logger } from "../domain/logger.js";
import type { HistoryStore } from "../domain/ports.js";

/** One queued write: a history batch, or the latest checkpoint, and what may follow it. */
type Write =
  | { readonly kind: "batch"; readonly entries: readonly HistoryEntry[]; readonly then: (() => void) | null }
  | { kind: "checkpoint"; text: string | null }
  | { kind: "served"; readonly experiment: string; lines: string }
  | { readonly kind: "covariates"; readonly data: Uint8Array };

export interface DurableWritesDeps {
  readonly store: HistoryStore;
  readonly target: string;
  readonly log: Logger;
  /** Runs `retry` after `ms` (the runtime's scheduler; virtual in simulations). */
  readonly later: (ms: number, retry: () => void) => void;
}

const FIRST_RETRY_MS = 200;
const MAX_RETRY_MS = 5_000;

/**
 * A target's writes, in order, each one durable before the next starts and before anything
 * that depends on it is served: `append(entries, then)` runs `then` (put the new baseline or
 * experiment in the router) only once the store has the batch. A failing store (full or
 * read-only disk, Redis refusing) stops the queue at the failed write, which is retried with
 * backoff until it lands; meanwhile `error` says why, so the runtime stops deciding and the
 * daemon reports not ready, and traffic keeps the last durable state. Nothing is skipped, so
 * the lineage can never break.
 */
export class DurableWrites {
  private readonly queue: Write[] = [];
  private running = false;
  private failure: Error | null = null;
  private retryMs = FIRST_RETRY_MS;
  private idle: (() => void)[] = [];

  constructor(private readonly deps: DurableWritesDeps) {}

  /** Why the store refuses writes (null while it takes them). */
  get error(): Error | null {
    return this.failure;
  }

  /** Writes queued and not yet durable. */
  get pending(): number {
    return this.queue.length;
  }

  /** Queues a history batch; `then` runs once it is durable (never if the target is dropped first). */
  append(entries: readonly HistoryEntry[], then: (() => void) | null = null): void {
    if (entries.length === 0 && this.queue.length === 0) {
      then?.(); // nothing to wait for: everything before it is durable already
      return;
    }
    this.queue.push({ kind: "batch", entries, then });
    this.pump();
  }

  /** Queues the live experiment's checkpoint; a newer one replaces one not yet started. */
  checkpoint(text: string | null): void {
    const last = this.queue[this.queue.length - 1];
    if (last?.kind === "checkpoint" && (this.queue.length > 1 || !this.running)) last.text = text;
    else this.queue.push({ kind: "checkpoint", text });
    this.pump();
  }

  /** Queues the kept CUPED values (stores without them skip it). */
  covariates(data: Uint8Array): void {
    if (!this.deps.store.saveCovariates) return;
    this.queue.push({ kind: "covariates", data });
    this.pump();
  }

  /** Queues lines of an experiment's served journal (joined to a queued append not yet started). */
  served(experiment: string, lines: string): void {
    if (lines === "") return;
    const last = this.queue[this.queue.length - 1];
    if (last?.kind === "served" && last.experiment === experiment && (this.queue.length > 1 || !this.running)) last.lines += lines;
    else this.queue.push({ kind: "served", experiment, lines });
    this.pump();
  }

  /**
   * Resolves once every queued write is durable. With the store failing it waits up to
   * `timeoutMs` for a retry to land, then rejects with the store's error.
   */
  flush(timeoutMs = Infinity): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((done, fail) => {
      let settled = false;
      const finish = () => {
        if (settled) return;
        settled = true;
        done();
      };
      this.idle.push(finish);
      if (Number.isFinite(timeoutMs))
        this.deps.later(timeoutMs, () => {
          if (settled || this.queue.length === 0) return;
          settled = true;
          fail(Object.assign(new Error(`history of "${this.deps.target}" not durable: ${this.failure?.message ?? "writes still queued"}`), { code: "store_unavailable" }));
        });
    });
  }

  private pump(): void {
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    void this.drain();
  }

  private async drain(): Promise<void> {
    const { store, target, log } = this.deps;
    while (this.queue.length > 0) {
      const write = this.queue[0] as Write;
      try {
        if (write.kind === "batch") {
          if (write.entries.length > 0) await store.append(target, write.entries);
        } else if (write.kind === "served") await store.appendServed(target, write.experiment, write.lines);
        else if (write.kind === "covariates") await store.saveCovariates?.(target, write.data);
        else await store.saveCheckpoint(target, write.text);
      } catch (error) {
        if (this.failure === null) log.error({ target, error: (error as Error).message, queued: this.queue.length }, "history write failed; decisions stop until the store takes writes again");
        this.failure = error as Error;
        this.running = false;
        const wait = this.retryMs;
        this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
        this.deps.later(wait, () => this.pump());
        return;
      }
      this.queue.shift();
      if (this.failure !== null) {
        log.warn({ target, queued: this.queue.length }, "history writes recovered");
        this.failure = null;
        this.retryMs = FIRST_RETRY_MS;
      }
      if (write.kind === "batch") write.then?.();
    }
    this.running = false;
    const waiting = this.idle;
    this.idle = [];
    for (const done of waiting) done();
  }
}
