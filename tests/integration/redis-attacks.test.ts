import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { freePort, runCli, tempDir, waitFor, workspace } from "../helpers.js";
import { startOwnRedis } from "../redis-server.js";
import { evaluate, spawnScaleOut } from "../scale-out.js";

describe("a Redis password rotated under a running scale-out daemon", () => {
  it("reports not ready, keeps serving, retries, never logs the password, and recovers", async () => {
    const own = await startOwnRedis(tempDir());
    const admin = new Redis(own.url);
    await admin.config("SET", "requirepass", "old-secret-1");
    await admin.auth("old-secret-1");
    const url = own.url.replace("redis://", "redis://:old-secret-1@");
    const daemon = await spawnScaleOut(workspace(), url, "evolvd-rotation");
    try {
      await waitFor(async () => (await fetch(`${daemon.url}/readyz`)).status === 200, 15_000, "ready");
      await admin.config("SET", "requirepass", "new-secret-2");
      await admin.client("KILL", "TYPE", "normal");
      await admin.client("KILL", "TYPE", "pubsub").catch(() => undefined);
      await waitFor(async () => (await fetch(`${daemon.url}/readyz`)).status === 503, 10_000, "not ready");
      // Alive and serving for a while with every reconnection refused. The pause is the point, not
      // a wait for a condition: evaluations spread over ~2 s, while the clients retry (and are
      // refused) again and again; no signal counts those retries (their error is logged once in 100).
      for (let i = 0; i < 20; i++) {
        expect((await evaluate(daemon.url, `rot-${i}`)).status).toBe(200);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(daemon.child.exitCode).toBeNull();
      // The operator puts the old password back (or restarts with the new one): it heals by itself.
      const fresh = new Redis(own.url, { password: "new-secret-2" });
      await fresh.config("SET", "requirepass", "old-secret-1");
      fresh.disconnect();
      await waitFor(async () => (await fetch(`${daemon.url}/readyz`)).status === 200, 15_000, "ready again");
      expect(await daemon.stop()).toBe(0);
      expect(daemon.output()).not.toContain("old-secret-1");
      expect(daemon.output()).not.toContain("new-secret-2");
      expect(daemon.output()).toMatch(/WRONGPASS/);
    } finally {
      daemon.child.kill("SIGKILL");
      admin.disconnect();
      await own.stop();
    }
  }, 60_000);
});

describe("SIGTERM while Redis is down", () => {
  it("stops within the shutdown deadline instead of waiting for Redis", async () => {
    const own = await startOwnRedis(tempDir());
    const daemon = await spawnScaleOut(workspace(), own.url, "evolvd-down-stop");
    try {
      await own.stop();
      await waitFor(async () => (await fetch(`${daemon.url}/readyz`)).status === 503, 10_000, "not ready");
      const asked = performance.now();
      expect(await daemon.stop()).toBe(0);
      expect(performance.now() - asked).toBeLessThan(8_000);
      expect(daemon.output()).toContain("evolvd stopped");
    } finally {
      daemon.child.kill("SIGKILL");
    }
  }, 60_000);
});

describe("evolvd start --redis against nothing", () => {
  it("gives up within the documented 5 s", async () => {
    const port = await freePort();
    const started = performance.now();
    const answer = await runCli(["start", "--port", "0", "--drop-dir", "configs", "--redis", `redis://127.0.0.1:${port}`], workspace());
    const took = performance.now() - started;
    expect(answer.code).toBe(1);
    expect(took).toBeGreaterThan(4_000);
    expect(took).toBeLessThan(5_600);
  }, 20_000);
});
