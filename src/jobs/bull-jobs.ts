import Queue from "bull";
import { Redis, type RedisOptions } from "ioredis";

/** A tick bull handed to this instance. */
export interface TickJob {
  readonly id: string;
  readonly scheduledAt: number;
  readonly attempt: number;
}

export type TickHandler = (target: string, tick: TickJob) => Promise<void>;
export type ScreeningHandler = (target: string, generation: number, job: TickJob) => Promise<void>;

export interface JobOptions {
  readonly prefix?: string;
  /** Attempts per job: a failed or stalled job is retried. */
  readonly attempts?: number;
  /** How long a worker's lock on a job lasts without renewal: after it, a dead worker's job is retried. */
  readonly lockMs?: number;
  /** Errors of bull's connections (Redis down): reported, never thrown. */
  readonly onError?: (error: Error) => void;
}

/**
 * The scale-out work queues on bull. Every instance runs a worker on each:
 * - `analysis`: the analysis tick, a repeatable job per target — bull hands each repetition to
 *   exactly one worker, so one instance decides per tick;
 * - `screening`: one job per target and generation (the job id dedupes requests from several
 *   instances) that proposes candidates and screens them on simulated traffic.
 * A job whose handler fails, or whose worker dies (its lock expires), is retried; decisions are
 * therefore idempotent (see scale/decider.ts).
 */
export class BullJobs {
  private readonly ticks: Queue.Queue<{ target: string }>;
  private readonly screening: Queue.Queue<{ target: string; generation: number }>;
  private readonly clients: Redis[] = [];

  constructor(redisUrl: string, options: JobOptions = {}) {
    const lockDuration = options.lockMs ?? 10_000;
    const queue = <T>(name: string) => {
      const q = new Queue<T>(name, {
        prefix: options.prefix ?? "evolvd",
        // bull opens three connections per queue; they are made here so close() can end them
        // (queue.close() leaves clients passed through createClient open).
        createClient: () => {
          const redisOptions: RedisOptions = { maxRetriesPerRequest: null, enableReadyCheck: false, retryStrategy: (n) => Math.min(100 * n, 1000) };
          const client = new Redis(redisUrl, redisOptions);
          client.on("error", (error: Error) => options.onError?.(error));
          this.clients.push(client);
          return client;
        },
        settings: { lockDuration, lockRenewTime: lockDuration / 2, stalledInterval: Math.max(1000, lockDuration / 2), maxStalledCount: 2 },
        defaultJobOptions: { attempts: options.attempts ?? 3, backoff: { type: "fixed", delay: 100 }, removeOnComplete: 1000, removeOnFail: 1000 },
      });
      q.on("error", (error: Error) => options.onError?.(error));
      return q;
    };
    this.ticks = queue("analysis");
    this.screening = queue("screening");
  }

  /** Schedules a target's tick every `everyMs`; scheduling it again (any instance) is a no-op. */
  async schedule(target: string, everyMs: number): Promise<void> {
    await this.ticks.add({ target }, { repeat: { every: everyMs }, jobId: `tick:${target}` });
  }

  async unschedule(target: string, everyMs: number): Promise<void> {
    await this.ticks.removeRepeatable({ every: everyMs, jobId: `tick:${target}` });
  }

  /**
   * Asks for generation `generation` of `target` to be proposed and screened, once: while its
   * job waits or runs, asking again (from any instance) is a no-op. A job that already finished
   * without starting the generation (it failed, or the target was killed then) is replaced, or
   * its id would block the generation for good.
   */
  async requestScreening(target: string, generation: number): Promise<void> {
    const jobId = `screen:${target}:${generation}`;
    const previous = await this.screening.getJob(jobId);
    if (previous && ((await previous.isCompleted()) || (await previous.isFailed()))) await previous.remove();
    await this.screening.add({ target, generation }, { jobId });
  }

  /** Runs this instance's tick worker: `handler` gets the ticks bull assigns to it. */
  process(handler: TickHandler): void {
    void this.ticks.process(1, async (job) => handler(job.data.target, jobOf(job)));
  }

  /** Runs this instance's screening worker. */
  processScreening(handler: ScreeningHandler): void {
    void this.screening.process(1, async (job) => handler(job.data.target, job.data.generation, jobOf(job)));
  }

  /** Drops every connection at once (Redis unreachable: a graceful close would wait for it). */
  disconnect(): void {
    for (const client of this.clients) client.disconnect();
  }

  async close(): Promise<void> {
    await Promise.all([this.ticks.close(), this.screening.close()]);
    await Promise.all(this.clients.map((c) => c.quit().catch(() => c.disconnect())));
  }
}

function jobOf(job: Queue.Job): TickJob {
  return { id: String(job.id), scheduledAt: job.timestamp, attempt: job.attemptsMade + 1 };
}
