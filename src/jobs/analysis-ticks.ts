import Queue from "bull";
import { Redis } from "ioredis";

/**
 * The analysis tick as a bull repeatable job per target (scale-out step 2, not wired yet):
 * every instance runs a worker, and bull hands each repetition to exactly one of them, so one
 * instance decides per tick. A job whose worker fails or dies is retried (`attempts`), which is
 * why the decision it makes must be idempotent.
 */
export interface TickHandler {
  (target: string, tick: { readonly id: string; readonly scheduledAt: number; readonly attempt: number }): Promise<void>;
}

export class AnalysisTicks {
  private readonly queue: Queue.Queue<{ target: string }>;
  private readonly clients: Redis[] = [];

  constructor(redisUrl: string, options: { prefix?: string; attempts?: number } = {}) {
    // bull opens three connections per queue; they are made here so close() can end them
    // (queue.close() leaves clients passed through createClient open).
    this.queue = new Queue<{ target: string }>("analysis", {
      prefix: options.prefix ?? "evolvd",
      createClient: () => {
        const client = new Redis(redisUrl, { maxRetriesPerRequest: null, enableReadyCheck: false });
        this.clients.push(client);
        return client;
      },
      defaultJobOptions: { attempts: options.attempts ?? 3, backoff: { type: "fixed", delay: 100 }, removeOnComplete: 1000, removeOnFail: 1000 },
    });
  }

  /** Schedules a target's tick every `everyMs`; scheduling it again from another instance is a no-op. */
  async schedule(target: string, everyMs: number): Promise<void> {
    await this.queue.add({ target }, { repeat: { every: everyMs }, jobId: `tick:${target}` });
  }

  async unschedule(target: string, everyMs: number): Promise<void> {
    await this.queue.removeRepeatable({ every: everyMs, jobId: `tick:${target}` });
  }

  /** Runs this instance's worker: `handler` gets the ticks bull assigns to it. */
  process(handler: TickHandler): void {
    void this.queue.process(1, async (job) => {
      await handler(job.data.target, { id: String(job.id), scheduledAt: job.timestamp, attempt: job.attemptsMade + 1 });
    });
  }

  async close(): Promise<void> {
    await this.queue.close();
    await Promise.all(this.clients.map((c) => c.quit().catch(() => c.disconnect())));
  }
}
