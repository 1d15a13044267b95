import { watch, type FSWatcher } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { sha256 } from "../config/canonical.js";
import type { Logger } from "../domain/logger.js";
import { readDropFile } from "./read-drop-file.js";

export interface DropHandlers {
  /** A target file is new or changed, and its content was the same on two reads. */
  onTargetFile(file: string, text: string): Promise<unknown>;
  onTargetFileRemoved(file: string): Promise<void>;
  /** A `*.json` entry was refused before or while it was applied (not a regular file, too big, threw). */
  onRefusedFile(file: string, problems: readonly string[]): void;
  /** `<target>.kill` appeared (true) or disappeared (false). */
  onKillFile(target: string, present: boolean): void;
}

/** `<target>.kill`, with the target-name rule of domain/names.ts. */
const KILL_FILE = /^([a-z0-9][a-z0-9_-]{0,62})\.kill$/;

/**
 * The drop folder: `*.json` target files and `<target>.kill` kill files. A directory watch
 * triggers a debounced rescan, and a periodic rescan catches what a watch misses (network file
 * systems, editors that swap files). A file is applied only when two reads `debounceMs` apart
 * see the same content, so a half-written file is never applied. Scans never overlap.
 */
export class DropFolder {
  private readonly lastRead = new Map<string, string>();
  private readonly applied = new Map<string, string>();
  /** Entries refused at read, with the reason last reported (reported again only when it changes). */
  private readonly refused = new Map<string, string>();
  /** Entries readable again after a refusal: handed over even if their content is the applied one. */
  private readonly recovered = new Set<string>();
  /** When the scan under way started (monotonic ms), or null between scans. */
  private scanStartedAt: number | null = null;
  private kills = new Set<string>();
  private watcher: FSWatcher | null = null;
  private interval: NodeJS.Timeout | null = null;
  private pending: NodeJS.Timeout | null = null;
  private scanning: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly dir: string,
    private readonly options: { debounceMs: number; rescanMs: number; maxFileBytes: number; now: () => number },
    private readonly handlers: DropHandlers,
    private readonly log: Logger,
  ) {}

  /** Scans until every present file is applied (or refused), then starts watching. */
  async start(): Promise<void> {
    await this.rescan();
    // Files read once are applied on the second read; a fresh start reads twice at once.
    await this.rescan();
    try {
      this.watcher = watch(this.dir, { persistent: false }, () => this.schedule());
      this.watcher.on("error", (error) => this.log.warn({ dir: this.dir, error: error.message }, "drop folder watch failed; periodic rescans go on"));
    } catch (error) {
      this.log.warn({ dir: this.dir, error: (error as Error).message }, "cannot watch the drop folder; periodic rescans go on");
    }
    if (this.options.rescanMs > 0) {
      this.interval = setInterval(() => void this.rescan(), this.options.rescanMs);
      this.interval.unref();
    }
  }

  /**
   * False while a scan has been under way for longer than it ever should (readiness): reads
   * never block, so this means the folder's file system itself hangs (a dead network mount).
   */
  get healthy(): boolean {
    return this.scanStartedAt === null || this.options.now() - this.scanStartedAt < Math.max(30_000, 2 * this.options.rescanMs);
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.close();
    if (this.interval) clearInterval(this.interval);
    if (this.pending) clearTimeout(this.pending);
  }

  /** One scan of the folder, queued behind any scan in progress (SIGHUP calls this). */
  rescan(): Promise<void> {
    this.scanning = this.scanning
      .then(() => {
        if (this.stopped) return;
        this.scanStartedAt = this.options.now();
        return this.scanOnce();
      })
      .catch((error: Error) => this.log.error({ dir: this.dir, error: error.message }, "drop folder scan failed"))
      .finally(() => (this.scanStartedAt = null));
    return this.scanning;
  }

  private schedule(): void {
    if (this.pending) clearTimeout(this.pending);
    this.pending = setTimeout(() => {
      this.pending = null;
      void this.rescan();
    }, this.options.debounceMs);
    this.pending.unref();
  }

  private async scanOnce(): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).sort();
    } catch (error) {
      this.log.error({ dir: this.dir, error: (error as Error).message }, "cannot read the drop folder");
      return;
    }
    const kills = new Set(names.flatMap((n) => KILL_FILE.exec(n)?.[1] ?? []));
    for (const target of kills) if (!this.kills.has(target)) this.handlers.onKillFile(target, true);
    for (const target of this.kills) if (!kills.has(target)) this.handlers.onKillFile(target, false);
    this.kills = kills;

    const jsonNames = names.filter((n) => n.endsWith(".json") && !n.startsWith("."));
    const files = jsonNames.map((n) => join(this.dir, n));
    let unstable = false;
    for (const [i, name] of jsonNames.entries()) {
      const file = files[i] as string;
      const read = await readDropFile(this.dir, name, this.options.maxFileBytes);
      if (read.kind === "gone") continue; // removed between readdir and read: the next scan sees it gone
      if (read.kind === "refused") {
        this.lastRead.delete(file);
        if (this.refused.get(file) !== read.problem) {
          this.refused.set(file, read.problem);
          this.handlers.onRefusedFile(file, [`${name} ${read.problem}`]);
        }
        continue;
      }
      if (this.refused.delete(file)) this.recovered.add(file);
      const text = read.text;
      const hash = sha256(text);
      const previous = this.lastRead.get(file);
      this.lastRead.set(file, hash);
      if (previous !== hash) {
        unstable = true; // changed since the last read: wait for it to settle
        continue;
      }
      if (this.applied.get(file) === hash && !this.recovered.has(file)) continue;
      this.applied.set(file, hash);
      this.recovered.delete(file);
      try {
        await this.handlers.onTargetFile(file, text);
      } catch (error) {
        // One file that breaks the loader must not skip the rest of the scan, nor go unreported.
        this.log.error({ file, error: (error as Error).message }, "target file could not be applied");
        this.handlers.onRefusedFile(file, [`could not be applied: ${(error as Error).message}`]);
      }
    }
    const present = new Set(files);
    for (const file of [...this.lastRead.keys(), ...this.refused.keys()]) {
      if (present.has(file)) continue;
      this.lastRead.delete(file);
      const wasRefused = this.refused.delete(file);
      this.recovered.delete(file);
      if (this.applied.delete(file) || wasRefused) await this.handlers.onTargetFileRemoved(file);
    }
    if (unstable) this.schedule();
  }
}
