import { constants } from "node:fs";
import { lstat, open, realpath } from "node:fs/promises";
import { join, sep } from "node:path";

/** What reading one drop-folder entry gave: its text, a refusal, or nothing (it is gone). */
export type DropRead = { readonly kind: "text"; readonly text: string } | { readonly kind: "refused"; readonly problem: string } | { readonly kind: "gone" };

const refused = (problem: string): DropRead => ({ kind: "refused", problem });

/**
 * Reads one file of the drop folder without ever blocking: only regular files, or links to a
 * regular file inside the folder, are opened, and always with O_NONBLOCK, so a FIFO named
 * `x.json` (or one swapped in between the check and the open) cannot wedge the watcher. At most
 * `maxBytes` are read. Problems never quote the file's content.
 */
export async function readDropFile(dir: string, name: string, maxBytes: number): Promise<DropRead> {
  const path = join(dir, name);
  try {
    const entry = await lstat(path);
    let real = path;
    if (entry.isSymbolicLink()) {
      real = await realpath(path);
      const inside = (await realpath(dir)) + sep;
      if (!real.startsWith(inside)) return refused("is a link to a file outside the drop folder (never read)");
    } else if (!entry.isFile()) return refused(`is not a regular file but ${kindOf(entry)} (never read)`);
    const handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) return refused(`is not a regular file but ${kindOf(stat)} (never read)`);
      if (stat.size > maxBytes) return refused(`has ${stat.size} bytes, more than the ${maxBytes} a drop file may have`);
      // One byte more than allowed tells a file that grew after the stat.
      const buffer = Buffer.alloc(Math.min(stat.size, maxBytes) + 1);
      let length = 0;
      while (length < buffer.length) {
        const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
        if (bytesRead === 0) break;
        length += bytesRead;
      }
      if (length > maxBytes) return refused(`has more than the ${maxBytes} bytes a drop file may have`);
      return { kind: "text", text: buffer.subarray(0, length).toString("utf8") };
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { kind: "gone" };
    return refused(`cannot be read (${code ?? (error as Error).message})`);
  }
}

function kindOf(stat: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (stat.isDirectory()) return "a folder";
  if (stat.isFIFO()) return "a FIFO";
  if (stat.isSocket()) return "a socket";
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return "a device";
  return "something else";
}
