import type { SideEffect } from "../domain/event.js";

/** One event as /v1/events takes it (docs/events.md). */
export type SdkEvent =
  | { readonly type: "exposure"; readonly target: string; readonly unit: string; readonly ts: number; readonly arm: string; readonly attributes?: Readonly<Record<string, string | number | boolean>> }
  | { readonly type: "outcome"; readonly target: string; readonly unit: string; readonly ts: number; readonly arm?: string; readonly metrics: Readonly<Record<string, number>>; readonly effects?: readonly SideEffect[] };

/** What the buffer did so far. */
export interface BufferCounts {
  readonly queued: number;
  readonly sent: number;
  /** Events dropped because the buffer was full (the oldest go first). */
  readonly dropped: number;
  /** Batches that failed and were retried. */
  readonly retries: number;
}

/**
 * Exposures and outcomes on their way to /v1/events: a bounded queue (the oldest dropped, and
 * counted, when full), sent in NDJSON batches — on the client's timer, and as soon as a whole
 * batch is queued; a failed batch goes back to the front and the next attempt waits twice as
 * long (up to maxBackoffMs).
 */
export class EventBuffer {
  private queue: SdkEvent[] = [];
  private counts = { sent: 0, dropped: 0, retries: 0 };
  private failures = 0;
  private notBefore = 0;
  private sending: Promise<void> | null = null;

  constructor(
    private readonly send: (lines: string) => Promise<void>,
    private readonly options: { readonly maxEvents: number; readonly batch: number; readonly backoffMs: number; readonly maxBackoffMs: number; readonly now: () => number },
  ) {}

  push(event: SdkEvent): void {
    if (this.queue.length >= this.options.maxEvents) {
      // The oldest tenth at once: dropping one by one would shift the whole queue on every push.
      const drop = Math.max(1, Math.ceil(this.options.maxEvents / 10));
      this.queue.splice(0, drop);
      this.counts.dropped += drop;
    }
    this.queue.push(event);
    // A full batch goes at once, not at the next tick: a busy service would outrun the timer.
    if (this.queue.length >= this.options.batch && this.sending === null) void this.flush();
  }

  get stats(): BufferCounts {
    return { queued: this.queue.length, ...this.counts };
  }

  /** Sends what is queued, batch by batch (at most 5 × batch per request); stops at the first failure (kept for the next try). */
  flush(force = false): Promise<void> {
    if (this.sending) return this.sending;
    if (this.queue.length === 0 || (!force && this.options.now() < this.notBefore)) return Promise.resolve();
    this.sending = this.drain().finally(() => {
      this.sending = null;
    });
    return this.sending;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      // Behind (the daemon slower than the service, or the service's loop busy): bigger
      // requests, up to five batches' worth, so fewer round trips carry the backlog.
      const batch = this.queue.splice(0, this.queue.length >= 2 * this.options.batch ? 5 * this.options.batch : this.options.batch);
      try {
        await this.send(batch.map((e) => JSON.stringify(e)).join("\n"));
        this.counts.sent += batch.length;
        this.failures = 0;
      } catch {
        // Back to the front, within the bound: what no longer fits is the oldest, dropped.
        const room = this.options.maxEvents - this.queue.length;
        const kept = batch.slice(Math.max(0, batch.length - room));
        this.counts.dropped += batch.length - kept.length;
        this.queue = [...kept, ...this.queue];
        this.counts.retries++;
        this.failures++;
        this.notBefore = this.options.now() + Math.min(this.options.maxBackoffMs, this.options.backoffMs * 2 ** (this.failures - 1));
        return;
      }
    }
  }
}
