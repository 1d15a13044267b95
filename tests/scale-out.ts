import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, ROOT, workspace } from "./helpers.js";

/** Polls `check` every 25 ms until it holds; throws after `ms`. */
export async function waitFor(check: () => Promise<boolean> | boolean, ms = 15_000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${what} not met within ${ms} ms`);
}

/**
 * A workspace whose configs/checkout.json is made fast for tests: no screening scenario (every
 * candidate goes live, so every instance and an embedded daemon propose the same generation from
 * the same seed), and the given policy settings.
 */
export function fastWorkspace(policy: Record<string, unknown>): string {
  const dir = workspace();
  const file = join(dir, "configs", "checkout.json");
  const target = JSON.parse(readFileSync(file, "utf8"));
  target.policy = { ...target.policy, screening: { scenario: null }, ...policy };
  writeFileSync(file, JSON.stringify(target, null, 2));
  return dir;
}

export interface DaemonProcess {
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

/** A real `evolvd start` process in scale-out mode on a free port. */
export async function spawnScaleOut(dir: string, redisUrl: string, prefix: string, env: Record<string, string> = {}): Promise<DaemonProcess> {
  const port = await freePort();
  const child = spawn("node", [join(ROOT, "bin", "evolvd.js"), "start", "--port", String(port), "--drop-dir", "configs", "--redis", redisUrl, "--redis-prefix", prefix], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, EVOLVD_RESCAN_MS: "0", ...env },
  });
  let out = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  await waitFor(() => out.includes("evolvd started") || child.exitCode !== null, 20_000, "evolvd started");
  if (child.exitCode !== null) throw new Error(`evolvd exited: ${out}`);
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

export interface Evaluated {
  readonly status: number;
  readonly reason?: string;
  readonly version?: string;
  readonly experiment?: string;
}

/** One OFREP evaluation of the whole checkout configuration (an exposure on that instance). */
export async function evaluate(url: string, unit: string, target = "checkout"): Promise<Evaluated> {
  const response = await fetch(`${url}/ofrep/v1/evaluate/flags/${target}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ context: { targetingKey: unit } }) });
  const body = (await response.json()) as { reason?: string; metadata?: { version?: string; experiment?: string } };
  return { status: response.status, ...(body.reason ? { reason: body.reason } : {}), ...(body.metadata?.version ? { version: body.metadata.version } : {}), ...(body.metadata?.experiment ? { experiment: body.metadata.experiment } : {}) };
}

/** Posts NDJSON events; returns the server's counts. */
export async function sendEvents(url: string, events: readonly unknown[]): Promise<{ accepted: number; rejected: number; ignored: number }> {
  const response = await fetch(`${url}/v1/events`, { method: "POST", headers: { "content-type": "application/x-ndjson" }, body: events.map((e) => JSON.stringify(e)).join("\n") });
  if (response.status !== 200) throw new Error(`events: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as { accepted: number; rejected: number; ignored: number };
}

export async function getJson<T>(url: string): Promise<T> {
  return (await (await fetch(url)).json()) as T;
}

export async function post(url: string, body: unknown = {}): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}
