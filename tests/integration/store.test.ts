import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileStore } from "../../src/store/file-store.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import { checkpointContract, historyStoreContract, version } from "../contract/store-contract.js";
import { tempDir } from "../helpers.js";

historyStoreContract("memory", () => new MemoryStore());
historyStoreContract("file", () => new FileStore(tempDir()));
checkpointContract("memory", () => new MemoryStore());
checkpointContract("file", () => new FileStore(tempDir()));

describe("file store crash safety", () => {
  it("survives a batch torn by a crash: the torn tail is ignored, then cut off by the next append", async () => {
    const dir = tempDir();
    const store = new FileStore(dir);
    await store.append("checkout", [{ kind: "version", at: 1, version: version(1) }]);
    const file = join(dir, "targets", "checkout", "history.ndjson");
    // A crash in the middle of writing the second batch leaves half a line.
    const torn = JSON.stringify([{ kind: "version", at: 2, version: version(2) }]);
    appendFileSync(file, torn.slice(0, torn.length / 2));

    const reopened = new FileStore(dir);
    expect((await reopened.read("checkout")).map((e) => e.at)).toEqual([1]);
    await reopened.append("checkout", [{ kind: "version", at: 3, version: version(3) }]);
    expect((await reopened.read("checkout")).map((e) => e.at)).toEqual([1, 3]);
    expect(readFileSync(file, "utf8").split("\n").filter(Boolean)).toHaveLength(2);
  });

  it("keeps a torn first batch from hiding later writes", async () => {
    const dir = tempDir();
    const store = new FileStore(dir);
    await store.append("checkout", [{ kind: "version", at: 1, version: version(1) }]);
    const file = join(dir, "targets", "checkout", "history.ndjson");
    writeFileSync(file, '[{"kind":"vers');
    await store.append("checkout", [{ kind: "version", at: 2, version: version(2) }]);
    expect((await store.read("checkout")).map((e) => e.at)).toEqual([2]);
  });

  it("refuses to read a history corrupted in the middle instead of guessing", async () => {
    const dir = tempDir();
    const store = new FileStore(dir);
    await store.append("checkout", [{ kind: "version", at: 1, version: version(1) }]);
    const file = join(dir, "targets", "checkout", "history.ndjson");
    appendFileSync(file, "garbage\n");
    await expect(store.read("checkout")).rejects.toThrow(/corrupt at line 2/);
  });

  it("refuses target names that could escape the data folder", async () => {
    const store = new FileStore(tempDir());
    await expect(store.append("../etc", [{ kind: "version", at: 1, version: version(1) }])).rejects.toThrow(/invalid target name/);
  });
});
