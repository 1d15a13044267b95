import { mkdir, open, readdir, readFile, rename, rm, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { HistoryEntry } from "../domain/history.js";
import { TARGET_NAME } from "../domain/names.js";
import { parseBatches } from "./batches.js";
import type { HistoryStore } from "../domain/ports.js";


/**
 * The embedded store: one append-only log per target, `<dataDir>/targets/<target>/history.ndjson`.
 * Each line is one batch (a JSON array of entries), written with a single write and fsynced, so
 * a batch is all-or-nothing. A crash can only leave a torn *last* line: readers ignore it and
 * the next append cuts it off before writing, so nothing already stored is lost.
 */
export class FileStore implements HistoryStore {
  /** Appends to one target are chained so two batches never interleave. */
  private readonly queues = new Map<string, Promise<void>>();
  /** Per target, the experiment whose served journal this process last appended to. */
  private readonly journalOf = new Map<string, string>();

  constructor(private readonly dataDir: string) {}

  append(target: string, entries: readonly HistoryEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    const line = JSON.stringify(entries) + "\n";
    const previous = this.queues.get(target) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.appendLine(target, line));
    this.queues.set(target, next);
    return next;
  }

  async read(target: string): Promise<HistoryEntry[]> {
    let text: string;
    try {
      text = await readFile(this.historyFile(target), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    const lines = text.split("\n");
    // The last element is "" after a complete final line, or a torn batch: both are skipped.
    lines.pop();
    return parseBatches(lines, target, "line");
  }

  async targets(): Promise<string[]> {
    try {
      return (await readdir(join(this.dataDir, "targets"))).filter((name) => TARGET_NAME.test(name)).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
  }

  /** Temp file, fsync, rename: the checkpoint is replaced whole or not at all. */
  async saveCheckpoint(target: string, checkpoint: string | null): Promise<void> {
    const file = join(this.historyFile(target), "..", "checkpoint.json");
    if (checkpoint === null) {
      await rm(file, { force: true });
      await this.dropServed(target, null);
      return;
    }
    await replaceWhole(file, checkpoint);
  }

  /** `<dataDir>/targets/<target>/covariates.bin`, replaced whole like the checkpoint. */
  async saveCovariates(target: string, data: Uint8Array): Promise<void> {
    await replaceWhole(join(this.historyFile(target), "..", "covariates.bin"), data);
  }

  async loadCovariates(target: string): Promise<Uint8Array | null> {
    try {
      return await readFile(join(this.historyFile(target), "..", "covariates.bin"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
  }

  async loadCheckpoint(target: string): Promise<string | null> {
    try {
      return await readFile(join(this.historyFile(target), "..", "checkpoint.json"), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
  }

  /** `<dataDir>/targets/<target>/served.g<N>.ndjson`, fsynced after each append. */
  async appendServed(target: string, experiment: string, lines: string): Promise<void> {
    if (lines === "") return;
    const file = this.servedFile(target, experiment);
    if (this.journalOf.get(target) !== experiment) {
      await mkdir(join(file, ".."), { recursive: true });
      await this.dropServed(target, file);
      this.journalOf.set(target, experiment);
    }
    const handle = await open(file, "a");
    try {
      await handle.write(lines);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async loadServed(target: string, experiment: string): Promise<string> {
    try {
      return await readFile(this.servedFile(target, experiment), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return "";
      throw error;
    }
  }

  /** Removes the target's served journals but `keep`. */
  private async dropServed(target: string, keep: string | null): Promise<void> {
    const dir = join(this.historyFile(target), "..");
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    for (const name of names) if (/^served\.g\d+\.ndjson$/.test(name) && join(dir, name) !== keep) await rm(join(dir, name), { force: true });
    if (keep === null) this.journalOf.delete(target);
  }

  private servedFile(target: string, experiment: string): string {
    const generation = /^[a-z0-9][a-z0-9_-]{0,62}\/(g\d{1,9})$/.exec(experiment)?.[1];
    if (!generation) throw new Error(`invalid experiment id ${JSON.stringify(experiment)}`);
    return join(this.historyFile(target), "..", `served.${generation}.ndjson`);
  }

  private async appendLine(target: string, line: string): Promise<void> {
    const file = this.historyFile(target);
    await mkdir(join(file, ".."), { recursive: true });
    const handle = await open(file, "a+");
    try {
      await cutTornTail(handle);
      await handle.write(line);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  private historyFile(target: string): string {
    // Target names are validated when files load; this guards the path against anything else.
    if (!TARGET_NAME.test(target)) throw new Error(`invalid target name ${JSON.stringify(target)}`);
    return join(this.dataDir, "targets", target, "history.ndjson");
  }
}

/** Truncates the file after its last newline (a batch torn by a crash). */
async function cutTornTail(handle: FileHandle): Promise<void> {
  const { size } = await handle.stat();
  if (size === 0) return;
  const chunk = Buffer.alloc(Math.min(size, 1 << 16));
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const { bytesRead } = await handle.read(chunk, 0, end - start, start);
    const at = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (at >= 0) {
      const keep = start + at + 1;
      if (keep !== size) await handle.truncate(keep);
      return;
    }
    end = start;
  }
  await handle.truncate(0);
}

/** Temp file, fsync, rename: `file` holds the old data or the new, never part of either. */
async function replaceWhole(file: string, data: string | Uint8Array): Promise<void> {
  await mkdir(join(file, ".."), { recursive: true });
  const temp = `${file}.tmp`;
  const handle = await open(temp, "w");
  try {
    await (typeof data === "string" ? handle.write(data) : handle.write(data));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
}
