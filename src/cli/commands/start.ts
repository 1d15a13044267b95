import { join, resolve } from "node:path";
import { startDaemon } from "../../daemon/daemon.js";
import { loadSettings, type Settings } from "../../daemon/settings.js";
import { RedisUnreachable } from "../../scale/scale-out.js";
import { CliError, type CliIo } from "../io.js";
import { jsonLogger } from "../logger.js";
import { guardProcess } from "../process-guard.js";
import type { Logger } from "../../domain/logger.js";
import { loadScenarioFile } from "../../sim/scenario.js";
import { systemClock } from "../../system-clock.js";
import { DEMO_SCENARIO, demoWorkspace, playTraffic } from "./demo.js";

export interface StartOptions {
  readonly config?: string;
  readonly host?: string;
  readonly port?: string;
  readonly dataDir?: string;
  readonly dropDir?: string;
  readonly adminToken?: string;
  readonly ofrepToken?: string;
  readonly viewerToken?: string;
  readonly logLevel?: string;
  readonly redis?: string;
  readonly redisPrefix?: string;
  /** Run on a fresh demo workspace and feed it the shipped scenario's traffic (cli/commands/demo.ts). */
  readonly demo?: boolean;
  /** Demo visits per second. */
  readonly demoRate?: string;
}

const FLAGS: Record<string, keyof StartOptions> = {
  host: "host",
  port: "port",
  "data-dir": "dataDir",
  "drop-dir": "dropDir",
  "admin-token": "adminToken",
  "ofrep-token": "ofrepToken",
  "viewer-token": "viewerToken",
  "log-level": "logLevel",
  redis: "redis",
  "redis-prefix": "redisPrefix",
};

/**
 * `evolvd start`: the daemon. Runs until SIGTERM or SIGINT, then stops intake, flushes history
 * and resolves within the shutdown deadline; SIGHUP rescans the drop folder.
 */
export async function startCommand(options: StartOptions, io: CliIo, signals: NodeJS.EventEmitter = process): Promise<void> {
  const demo = options.demo ? demoWorkspace() : null;
  const given = demo ? { ...options, dropDir: options.dropDir ?? demo.dropDir, dataDir: options.dataDir ?? demo.dataDir } : options;
  const args = Object.entries(FLAGS).flatMap(([flag, key]) => (given[key] === undefined ? [] : [`--${flag}`, String(given[key])]));
  let settings: Settings;
  try {
    settings = loadSettings({ ...(options.config ? { file: resolve(io.cwd, options.config) } : {}), env: io.env, args });
  } catch (error) {
    throw new CliError(`settings: ${(error as Error).message}`, 2);
  }
  const log = jsonLogger(io.stdout, settings.logLevel);
  const unguard = guardProcess(log, (code) => process.exit(code));
  const rate = Number(options.demoRate ?? 400);
  if (demo && !(rate > 0 && rate <= 5_000)) throw new CliError(`--demo-rate: ${options.demoRate} is not a number of visits per second in (0, 5000]`, 2);
  try {
    await runDaemon(settings, io, log, signals, demo ? { dir: demo.dir, rate } : null);
  } finally {
    unguard();
  }
}

async function runDaemon(settings: Settings, io: CliIo, log: Logger, signals: NodeJS.EventEmitter, demo: { dir: string; rate: number } | null): Promise<void> {
  // Listening from the start: Node's default for SIGHUP and SIGTERM is to exit at once, so a
  // signal sent while the daemon starts (a supervisor's reload right after "evolvd started")
  // would kill it. One that arrives then is acted on once it is up.
  const early: string[] = [];
  const hold = { SIGHUP: () => early.push("SIGHUP"), SIGTERM: () => early.push("SIGTERM"), SIGINT: () => early.push("SIGINT") };
  for (const [name, handler] of Object.entries(hold)) signals.on(name, handler);
  const release = () => {
    for (const [name, handler] of Object.entries(hold)) signals.off(name, handler);
  };
  const daemon = await startDaemon(settings, io.cwd, log).catch((error: Error) => {
    release();
    throw error instanceof RedisUnreachable ? new CliError(error.message, 1) : error;
  });
  log.info({ url: daemon.url, console: `${daemon.url}/`, status: `evolvd status --url ${daemon.url}`, metrics: `${daemon.url}/metrics` }, `evolvd is running: open the console at ${daemon.url}/ (or \`evolvd status --url ${daemon.url}\`)`);
  let stopping = false;
  const feeding = demo ? startDemo(daemon.url, settings, demo, log, () => stopping) : null;
  await new Promise<void>((done, fail) => {
    const onHangUp = () => void daemon.rescan();
    const onStop = (signal: string) => {
      stopping = true;
      signals.off("SIGHUP", onHangUp);
      log.info({ signal, deadlineMs: settings.shutdownTimeoutMs }, "stopping");
      const deadline = setTimeout(() => fail(new CliError(`did not stop within ${settings.shutdownTimeoutMs} ms`)), settings.shutdownTimeoutMs);
      Promise.resolve(feeding)
        .then(() => daemon.stop())
        .then(
        () => {
          clearTimeout(deadline);
          done();
        },
        (error: Error) => {
          clearTimeout(deadline);
          fail(error);
        },
      );
    };
    signals.on("SIGHUP", onHangUp);
    signals.once("SIGTERM", () => onStop("SIGTERM"));
    signals.once("SIGINT", () => onStop("SIGINT"));
    release();
    const stop = early.find((signal) => signal !== "SIGHUP");
    if (stop) onStop(stop);
    else if (early.length > 0) onHangUp();
  });
}

/** Feeds the demo workspace's daemon the shipped scenario's users, saying what the loop does every ten seconds. */
async function startDemo(url: string, tokens: Pick<Settings, "adminToken" | "ofrepToken">, demo: { dir: string; rate: number }, log: Logger, stopped: () => boolean): Promise<void> {
  const scenario = loadScenarioFile(DEMO_SCENARIO);
  if (!scenario.ok) throw new CliError(scenario.error.message);
  log.info({ workspace: demo.dir, scenario: scenario.value.name, visitsPerSecond: demo.rate }, `demo: playing "${scenario.value.name}" at ${demo.rate} visits a second; the first generation commits within a few minutes`);
  const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));
  await playTraffic({
    url,
    scenario: { ...scenario.value, targetFile: join(demo.dir, "configs", "checkout.json") },
    rate: demo.rate,
    ofrepToken: tokens.ofrepToken,
    clock: systemClock,
    sleep,
    stop: stopped,
    onProgress: (visits, accepted) =>
      void describe(url, tokens.adminToken).then((state) => log.info({ visits, outcomesAccepted: accepted, ...state }, `demo: ${visits.toLocaleString("en-US")} visits so far; ${state.summary}`)),
  }).catch((error: Error) => log.error({ error: error.message }, "demo traffic stopped"));
}

/** The target's state in a few words, from the admin API. */
async function describe(url: string, adminToken: string): Promise<{ summary: string; baseline?: string; experiment?: string }> {
  try {
    const response = await fetch(`${url}/v1/targets/checkout`, { headers: adminToken ? { authorization: `Bearer ${adminToken}` } : {} });
    const body = (await response.json()) as { baseline: { version: string }; experiment: { id: string; status: string; arms: { units: number }[] } | null; lastGeneration: { generation: number; status: string } | null };
    const e = body.experiment;
    const last = body.lastGeneration;
    const summary = e ? `${e.id} ${e.status} with ${e.arms.reduce((n, a) => n + a.units, 0).toLocaleString("en-US")} units` : `no live experiment${last ? ` (g${last.generation} ${last.status})` : ""}`;
    return { summary: `${summary}, baseline ${body.baseline.version.slice(0, 12)}`, baseline: body.baseline.version, ...(e ? { experiment: e.id } : {}) };
  } catch {
    return { summary: "status unavailable" };
  }
}
