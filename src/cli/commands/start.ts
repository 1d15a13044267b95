import { resolve } from "node:path";
import { startDaemon } from "../../daemon/daemon.js";
import { loadSettings, type Settings } from "../../daemon/settings.js";
import { RedisUnreachable } from "../../scale/scale-out.js";
import { CliError, type CliIo } from "../io.js";
import { jsonLogger } from "../logger.js";
import { guardProcess } from "../process-guard.js";
import type { Logger } from "../../domain/logger.js";

export interface StartOptions {
  readonly config?: string;
  readonly host?: string;
  readonly port?: string;
  readonly dataDir?: string;
  readonly dropDir?: string;
  readonly adminToken?: string;
  readonly ofrepToken?: string;
  readonly logLevel?: string;
  readonly redis?: string;
  readonly redisPrefix?: string;
}

const FLAGS: Record<string, keyof StartOptions> = {
  host: "host",
  port: "port",
  "data-dir": "dataDir",
  "drop-dir": "dropDir",
  "admin-token": "adminToken",
  "ofrep-token": "ofrepToken",
  "log-level": "logLevel",
  redis: "redis",
  "redis-prefix": "redisPrefix",
};

/**
 * `evolvd start`: the daemon. Runs until SIGTERM or SIGINT, then stops intake, flushes history
 * and resolves within the shutdown deadline; SIGHUP rescans the drop folder.
 */
export async function startCommand(options: StartOptions, io: CliIo, signals: NodeJS.EventEmitter = process): Promise<void> {
  const args = Object.entries(FLAGS).flatMap(([flag, key]) => (options[key] === undefined ? [] : [`--${flag}`, String(options[key])]));
  let settings: Settings;
  try {
    settings = loadSettings({ ...(options.config ? { file: resolve(io.cwd, options.config) } : {}), env: io.env, args });
  } catch (error) {
    throw new CliError(`settings: ${(error as Error).message}`, 2);
  }
  const log = jsonLogger(io.stdout, settings.logLevel);
  const unguard = guardProcess(log, (code) => process.exit(code));
  try {
    await runDaemon(settings, io, log, signals);
  } finally {
    unguard();
  }
}

async function runDaemon(settings: Settings, io: CliIo, log: Logger, signals: NodeJS.EventEmitter): Promise<void> {
  const daemon = await startDaemon(settings, io.cwd, log).catch((error: Error) => {
    throw error instanceof RedisUnreachable ? new CliError(error.message, 1) : error;
  });
  await new Promise<void>((done, fail) => {
    const onHangUp = () => void daemon.rescan();
    const onStop = (signal: string) => {
      signals.off("SIGHUP", onHangUp);
      log.info({ signal, deadlineMs: settings.shutdownTimeoutMs }, "stopping");
      const deadline = setTimeout(() => fail(new CliError(`did not stop within ${settings.shutdownTimeoutMs} ms`)), settings.shutdownTimeoutMs);
      daemon.stop().then(
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
  });
}
