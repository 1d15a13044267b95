import type { Redis } from "ioredis";
import type { HistoryEntry } from "../domain/history.js";
import { parseBatches } from "./batches.js";
import type { HistoryStore } from "../domain/ports.js";

/**
 * The history store on Redis, for scale-out: the same contract as the file store.
 *
 * Keys, namespaced per deployment (`prefix`) and target:
 *   <prefix>:targets               set of target names
 *   <prefix>:t:<target>:history    list, one JSON batch per element (a batch is atomic)
 *   <prefix>:t:<target>:checkpoint string, the live experiment's checkpoint
 * A batch and the target's registration go in one MULTI, so a commit's decision and its
 * baseline move land together or not at all.
 */
export class RedisStore implements HistoryStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = "evolvd",
  ) {}

  async append(target: string, entries: readonly HistoryEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const result = await this.redis.multi().rpush(this.key(target, "history"), JSON.stringify(entries)).sadd(`${this.prefix}:targets`, target).exec();
    const failed = result?.find(([error]) => error);
    if (!result || failed) throw new Error(`history append for "${target}" failed: ${failed?.[0]?.message ?? "transaction aborted"}`);
  }

  async read(target: string): Promise<HistoryEntry[]> {
    return parseBatches(await this.redis.lrange(this.key(target, "history"), 0, -1), target, "batch");
  }

  async targets(): Promise<string[]> {
    return (await this.redis.smembers(`${this.prefix}:targets`)).sort();
  }

  async saveCheckpoint(target: string, checkpoint: string | null): Promise<void> {
    if (checkpoint === null) await this.redis.del(this.key(target, "checkpoint"), this.key(target, "served"), this.key(target, "served-of"));
    else await this.redis.set(this.key(target, "checkpoint"), checkpoint);
  }

  async loadCheckpoint(target: string): Promise<string | null> {
    return this.redis.get(this.key(target, "checkpoint"));
  }

  /** The journal and the experiment it belongs to, in two keys; starting another replaces both. */
  async appendServed(target: string, experiment: string, lines: string): Promise<void> {
    if (lines === "") return;
    if ((await this.redis.get(this.key(target, "served-of"))) === experiment) await this.redis.append(this.key(target, "served"), lines);
    else await this.redis.multi().set(this.key(target, "served"), lines).set(this.key(target, "served-of"), experiment).exec();
  }

  async loadServed(target: string, experiment: string): Promise<string> {
    const [[, of], [, text]] = (await this.redis.multi().get(this.key(target, "served-of")).get(this.key(target, "served")).exec()) as [[unknown, string | null], [unknown, string | null]];
    return of === experiment ? (text ?? "") : "";
  }

  private key(target: string, part: "history" | "checkpoint" | "served" | "served-of"): string {
    return targetKey(this.prefix, target, part);
  }
}

/**
 * A key of one target. Target names are validated when files load; the braces keep a target's
 * keys in one cluster slot, so the scripts that touch several of them stay legal on a cluster.
 */
export function targetKey(prefix: string, target: string, part: "history" | "checkpoint" | "revision" | "kill" | "record" | "trips" | "served" | "served-of"): string {
  return `${prefix}:t:{${target}}:${part}`;
}
