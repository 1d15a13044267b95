import { execFileSync } from "node:child_process";
import { appendFileSync, closeSync, mkdirSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Daemon } from "../../src/daemon/daemon.js";
import { versionsOf } from "../../src/domain/history.js";
import { FileStore } from "../../src/store/file-store.js";
import { startTestDaemon, waitFor, workspace } from "../helpers.js";

/**
 * The data folder on a small tmpfs of the test's own (the tests run as root, as CI does), so
 * it can really fill up and really turn read-only: no mock of a file system.
 */
function mountSmallDisk(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", dir]);
  return () => execFileSync("umount", ["-l", dir]);
}

/**
 * Fills the file system holding `dir` to the last byte; returns the filler's path. The history
 * file is first padded with one empty batch (`[ … ]`, valid history) to end on a page boundary:
 * otherwise an append would still fit in its last page.
 */
function fill(dir: string, history: string): string {
  const size = statSync(history).size;
  let pad = 4096 - (size % 4096);
  if (pad < 3) pad += 4096;
  appendFileSync(history, `[${" ".repeat(pad - 3)}]
`);
  return fillFile(dir);
}

function fillFile(dir: string): string {
  const file = join(dir, "filler");
  const fd = openSync(file, "w");
  const block = Buffer.alloc(64 * 1024, 1);
  try {
    for (let size = block.length; size >= 1; ) {
      try {
        writeSync(fd, block, 0, size);
      } catch {
        size = Math.floor(size / 2);
      }
    }
  } finally {
    closeSync(fd);
  }
  return file;
}

describe("a data folder that fills up or turns read-only", () => {
  let dir: string;
  let disk: string;
  let unmount: () => void;
  let daemon: Daemon;
  const admin = (path: string, body?: unknown) => fetch(daemon.url + path, { method: body === undefined ? "GET" : "POST", headers: { "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const served = async (unit: string) => (await (await fetch(`${daemon.url}/ofrep/v1/evaluate/flags/checkout`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ context: { targetingKey: unit } }) })).json()) as { reason: string; metadata: { version: string } };
  const ready = async () => (await fetch(`${daemon.url}/readyz`)).status === 200;

  beforeAll(async () => {
    dir = workspace();
    disk = join(dir, "disk");
    unmount = mountSmallDisk(disk);
    daemon = await startTestDaemon(dir, { dataDir: join(disk, "data") });
  });
  afterAll(async () => {
    await daemon?.stop().catch(() => undefined);
    unmount?.();
  });

  it("full: stops deciding, reports not ready with the cause, keeps serving the last durable state, and recovers", async () => {
    const before = await (await admin("/v1/targets/checkout")).json();
    expect(before.experiment.status).toBe("canary");
    const filler = fill(disk, join(disk, "data", "targets", "checkout", "history.ndjson"));

    // The kill switch still acts at once (the baseline is served); it cannot be recorded yet.
    const kill = await admin("/v1/targets/checkout/kill", { reason: "disk test" });
    expect(kill.status).toBe(503);
    expect(await kill.json()).toMatchObject({ error: "store_unavailable" });
    for (let i = 0; i < 30; i++) expect((await served(`d${i}`)).reason).toBe("STATIC");
    expect(await ready()).toBe(false);
    const readyz = await (await fetch(`${daemon.url}/readyz`)).json();
    expect(readyz.causes.join()).toMatch(/target checkout: history not writable \(ENOSPC/);
    expect(await (await fetch(`${daemon.url}/metrics`)).text()).toMatch(/evolvd_history_writable\{target="checkout"\} 0/);

    // No decision while the history cannot take it: the baseline does not move.
    const candidate = before.experiment.arms[1].version;
    const rollback = await admin("/v1/targets/checkout/rollback", { version: candidate });
    expect(rollback.status).toBe(503);
    expect((await served("d-after")).metadata.version).toBe(before.baseline.version);

    rmSync(filler);
    await waitFor(ready, 15_000, "ready again once the disk has room");
    expect((await admin("/v1/targets/checkout/kill", { reason: "again" })).status).toBe(200);
    expect((await admin("/v1/targets/checkout/rollback", { version: candidate, reason: "after recovery" })).status).toBe(200);
    expect((await served("d-recovered")).metadata.version).toBe(candidate);
  });

  it("read-only: the same, and the lineage stays whole", async () => {
    execFileSync("mount", ["-o", "remount,ro", disk]);
    try {
      const first = (await (await admin("/v1/targets/checkout/versions")).json()).versions.find((v: { baseline: boolean }) => !v.baseline).id;
      const refused = await admin("/v1/targets/checkout/rollback", { version: first });
      // The failed write is what tells the daemon: 503 now, not ready until the disk takes writes.
      expect(refused.status).toBe(503);
      expect(await ready()).toBe(false);
    } finally {
      execFileSync("mount", ["-o", "remount,rw", disk]);
    }
    await waitFor(ready, 15_000, "ready again once the disk is writable");
    await daemon.stop();
    const history = await new FileStore(join(disk, "data")).read("checkout");
    const versions = versionsOf(history);
    for (const entry of history) if (entry.kind === "baseline") expect(versions.has(entry.version), `baseline ${entry.version} has a version entry`).toBe(true);
    expect(history.filter((e) => e.kind === "transition" && e.to === "killed")).toHaveLength(1);
    daemon = await startTestDaemon(dir, { dataDir: join(disk, "data") });
    expect(await ready()).toBe(true);
  });
});
