import { cpSync, mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PassThrough } from "node:stream";
import { loadTargetFile } from "../src/config/target-file.js";
import type { Target } from "../src/domain/target.js";
import { main } from "../src/cli/main.js";
import { startDaemon, type Daemon } from "../src/daemon/daemon.js";
import { loadSettings } from "../src/daemon/settings.js";
import { silentLogger } from "../src/domain/logger.js";

export const ROOT = resolve(import.meta.dirname, "..");
export const CHECKOUT = join(ROOT, "configs", "checkout.json");

export function checkoutTarget(): Target {
  const loaded = loadTargetFile(CHECKOUT);
  if (!loaded.ok) throw new Error(loaded.error.message);
  return loaded.value;
}

export function tempDir(prefix = "evolvd-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Runs the evolvd CLI in-process and captures its output. */
export async function runCli(argv: string[], cwd = ROOT, input = ""): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const stdin = new PassThrough();
  stdin.end(input);
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin,
    env: {},
    cwd,
  });
  return { code, stdout, stderr };
}

/** A free TCP port on loopback (for servers that cannot listen on port 0 and report it). */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => done(port));
    });
  });
}

/** A temp folder holding copies of configs/ and simulations/, as a daemon's working folder. */
export function workspace(): string {
  const dir = tempDir();
  cpSync(join(ROOT, "configs"), join(dir, "configs"), { recursive: true });
  cpSync(join(ROOT, "simulations"), join(dir, "simulations"), { recursive: true });
  return dir;
}

/** An in-process daemon on a free port over a workspace: data in dir/data, drops in dir/configs. */
export async function startTestDaemon(dir: string, options: { args?: string[]; env?: Record<string, string>; dataDir?: string } = {}): Promise<Daemon> {
  const args = ["--port", "0", "--data-dir", options.dataDir ?? join(dir, "data"), "--drop-dir", join(dir, "configs"), "--rescan-ms", "0", ...(options.args ?? [])];
  return startDaemon(loadSettings({ env: options.env ?? {}, args }), dir, silentLogger);
}

/** Polls `check` every 25 ms until it holds; throws naming `what` after `ms`. */
export async function waitFor(check: () => Promise<boolean> | boolean, ms = 15_000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${what} not met within ${ms} ms`);
}

/**
 * |a − b| / max(|b|, 1): the embedded stream keeps a unit's totals in single precision
 * (evidence/unit-table.ts) and Redis in double, so merged sums agree to about 1e-7 relative.
 */
export function relativeError(a: number | undefined, b: number | undefined): number {
  if (a === undefined || b === undefined) return Infinity;
  return Math.abs(a - b) / Math.max(Math.abs(b), 1);
}
