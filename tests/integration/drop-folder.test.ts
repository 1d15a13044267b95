import { execFileSync } from "node:child_process";
import { rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/domain/logger.js";
import { DropFolder } from "../../src/watch/drop-folder.js";
import { tempDir } from "../helpers.js";

function folder() {
  const dir = tempDir();
  const seen: string[] = [];
  const drop = new DropFolder(dir, { debounceMs: 10_000, rescanMs: 0, maxFileBytes: 1024, now: () => performance.now() }, {
    onTargetFile: async (file, text) => void seen.push(`apply ${file.slice(dir.length + 1)} ${text}`),
    onTargetFileRemoved: async (file) => void seen.push(`remove ${file.slice(dir.length + 1)}`),
    onKillFile: (target, present) => void seen.push(`kill ${target} ${present}`),
    onRefusedFile: (file, problems) => void seen.push(`refused ${file.slice(dir.length + 1)}: ${problems.join("; ")}`),
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

describe("drop folder entries that are not plain files", () => {
  it("refuses a FIFO, a link outside the folder, a link to a device and an oversize file, without blocking, and goes on with the rest", async () => {
    const { dir, seen, drop } = folder();
    const outside = tempDir();
    writeFileSync(join(outside, "secret.json"), '{"secret":true}');
    execFileSync("mkfifo", [join(dir, "a-fifo.json")]);
    symlinkSync(join(outside, "secret.json"), join(dir, "b-outside.json"));
    symlinkSync("/dev/zero", join(dir, "c-device.json"));
    writeFileSync(join(dir, "d-big.json"), "x".repeat(2000));
    writeFileSync(join(dir, "e-good.json"), "{}");
    symlinkSync(join(dir, "e-good.json"), join(dir, "f-link-inside.json"));
    await drop.start();
    drop.stop();
    expect(seen).toEqual([
      "refused a-fifo.json: a-fifo.json is not a regular file but a FIFO (never read)",
      "refused b-outside.json: b-outside.json is a link to a file outside the drop folder (never read)",
      "refused c-device.json: c-device.json is a link to a file outside the drop folder (never read)",
      "refused d-big.json: d-big.json has 2000 bytes, more than the 1024 a drop file may have",
      "apply e-good.json {}",
      "apply f-link-inside.json {}",
    ]);
    expect(seen.join()).not.toContain("secret");
  });

  it("reports a file whose handler throws and applies the files after it", async () => {
    const dir = tempDir();
    const seen: string[] = [];
    const drop = new DropFolder(dir, { debounceMs: 10_000, rescanMs: 0, maxFileBytes: 1024, now: () => performance.now() }, {
      onTargetFile: async (file) => {
        if (file.endsWith("a.json")) throw new RangeError("Maximum call stack size exceeded");
        seen.push(`apply ${file.slice(dir.length + 1)}`);
      },
      onTargetFileRemoved: async () => undefined,
      onKillFile: () => undefined,
      onRefusedFile: (file, problems) => void seen.push(`refused ${file.slice(dir.length + 1)}: ${problems.join()}`),
    }, silentLogger);
    writeFileSync(join(dir, "a.json"), "{}");
    writeFileSync(join(dir, "b.json"), "{}");
    await drop.start();
    drop.stop();
    expect(seen).toEqual(["refused a.json: could not be applied: Maximum call stack size exceeded", "apply b.json"]);
  });

  it("hands a refused file over again once it is readable, even with the content already applied", async () => {
    const { dir, seen, drop } = folder();
    writeFileSync(join(dir, "a.json"), "{}");
    await drop.start();
    rmSync(join(dir, "a.json"));
    execFileSync("mkfifo", [join(dir, "a.json")]);
    await drop.rescan();
    rmSync(join(dir, "a.json"));
    writeFileSync(join(dir, "a.json"), "{}");
    await drop.rescan();
    await drop.rescan();
    drop.stop();
    expect(seen).toEqual(["apply a.json {}", "refused a.json: a.json is not a regular file but a FIFO (never read)", "apply a.json {}"]);
  });
});
