import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, ROOT, waitFor, workspace } from "./helpers.js";

/**
 * A workspace whose configs/checkout.json is made fast for tests: the given policy settings and,
 * unless `screening`, no screening scenario (every candidate goes live).
 */
export function fastWorkspace(policy: Record<string, unknown>, screening = false): string {
  const dir = workspace();
  const file = join(dir, "configs", "checkout.json");
  const target = JSON.parse(readFileSync(file, "utf8"));
  target.policy = { ...target.policy, ...(screening ? {} : { screening: { scenario: null } }), ...policy };
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
export async function evaluate(url: string, unit: string, target = "checkout", attributes: Readonly<Record<string, string>> = {}): Promise<Evaluated> {
  const response = await fetch(`${url}/ofrep/v1/evaluate/flags/${target}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ context: { targetingKey: unit, ...attributes } }) });
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

/** Conversion by arm role in the "clear winner" traffic: candidate 1 wins by far. */
const CONVERSION = { baseline: 0.1, candidate_1: 0.6, candidate_2: 0.2 } as Record<string, number>;

/**
 * Sends traffic with a clear winner to `urls` (round robin) until `stop()` holds: each unit is
 * evaluated over OFREP (its exposure), then one outcome naming its arm follows.
 */
export async function feedWinner(urls: () => readonly string[], stop: () => boolean, seed = 1): Promise<number> {
  let sent = 0;
  let n = 0;
  while (!stop()) {
    const live = urls();
    const url = live[n % live.length] as string;
    const batch: unknown[] = [];
    for (let i = 0; i < 50; i++, n++) {
      const unit = `w${seed}-${n}`;
      const response = await fetch(`${url}/ofrep/v1/evaluate/flags/checkout`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ context: { targetingKey: unit } }) }).catch(() => null);
      if (!response?.ok) continue;
      const body = (await response.json()) as { metadata: { version: string; arm: string } };
      // A fixed pseudo-random draw per unit (no Math.random): the fraction of a Weyl sequence.
      const u = (n * 0.6180339887498949 + seed * 0.1234567) % 1;
      batch.push({ type: "outcome", target: "checkout", unit, ts: 1_790_000_000_000, arm: body.metadata.version, metrics: { conversion: u < (CONVERSION[body.metadata.arm] ?? 0.1) ? 1 : 0, latency_ms: 180, error: 0 } });
    }
    if (batch.length > 0) await sendEvents(url, batch).catch(() => undefined);
    sent += batch.length;
  }
  return sent;
}

/** Checks a history for double decisions: per generation at most one ending, per experiment at most one commit. */
export function doubleDecisions(history: readonly { kind: string; [k: string]: unknown }[]): string[] {
  const endings = new Map<number, number>();
  const commits = new Map<string, number>();
  for (const e of history) {
    if (e.kind === "transition" && ["committed", "rolled_back", "inconclusive", "killed", "rejected"].includes(e.to as string)) endings.set(e.generation as number, (endings.get(e.generation as number) ?? 0) + 1);
    if (e.kind === "baseline" && e.cause === "commit") commits.set(e.experiment as string, (commits.get(e.experiment as string) ?? 0) + 1);
  }
  return [...[...endings].filter(([, n]) => n > 1).map(([g, n]) => `generation ${g} ended ${n} times`), ...[...commits].filter(([, n]) => n > 1).map(([x, n]) => `${x} committed ${n} times`)];
}
