import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/domain/logger.js";
import { DropFolder } from "../../src/watch/drop-folder.js";
import { tempDir } from "../helpers.js";

function folder() {
  const dir = tempDir();
  const seen: string[] = [];
  const drop = new DropFolder(dir, { debounceMs: 10_000, rescanMs: 0 }, {
    onTargetFile: async (file, text) => void seen.push(`apply ${file.slice(dir.length + 1)} ${text}`),
    onTargetFileRemoved: async (file) => void seen.push(`remove ${file.slice(dir.length + 1)}`),
    onKillFile: (target, present) => void seen.push(`kill ${target} ${present}`),
  }, silentLogger);
  return { dir, seen, drop };
}

describe("drop folder", () => {
  it("applies a file only once two reads see the same content (a half-written file is never applied)", async () => {
    const { dir, seen, drop } = folder();
    writeFileSync(join(dir, "a.json"), '{"half');
    await drop.rescan();
    expect(seen).toEqual([]);
    writeFileSync(join(dir, "a.json"), '{"whole":true}');
    await drop.rescan();
    expect(seen).toEqual([]);
    await drop.rescan();
    expect(seen).toEqual(['apply a.json {"whole":true}']);
    await drop.rescan();
    expect(seen).toHaveLength(1);
    drop.stop();
  });

  it("reports removed files and kill files, and ignores other names", async () => {
    const { dir, seen, drop } = folder();
    writeFileSync(join(dir, "a.json"), "{}");
    writeFileSync(join(dir, "notes.txt"), "x");
    writeFileSync(join(dir, ".hidden.json"), "{}");
    await drop.start();
    writeFileSync(join(dir, "checkout.kill"), "");
    await drop.rescan();
    rmSync(join(dir, "checkout.kill"));
    rmSync(join(dir, "a.json"));
    await drop.rescan();
    drop.stop();
    expect(seen).toEqual(["apply a.json {}", "kill checkout true", "kill checkout false", "remove a.json"]);
  });
});
