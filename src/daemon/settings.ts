import convict from "convict";

/**
 * Daemon settings, through convict: defaults < settings file (--config) < EVOLVD_* environment
 * variables < command-line flags. `evolvd start --help` lists the flags; docs/daemon.md all of it.
 */
export const settingsSchema = {
  host: { doc: "Address the HTTP server listens on.", format: String, default: "127.0.0.1", env: "EVOLVD_HOST", arg: "host" },
  port: { doc: "Port of the HTTP server (0 picks a free one).", format: "port", default: 8787, env: "EVOLVD_PORT", arg: "port" },
  dataDir: { doc: "Data folder of the embedded store.", format: String, default: ".evolvd", env: "EVOLVD_DATA_DIR", arg: "data-dir" },
  dropDir: { doc: "Folder watched for target files (*.json) and kill files (<target>.kill).", format: String, default: "configs", env: "EVOLVD_DROP_DIR", arg: "drop-dir" },
  adminToken: { doc: "Bearer token of the admin API (and OFREP, when set).", format: String, default: "", env: "EVOLVD_ADMIN_TOKEN", arg: "admin-token", sensitive: true },
  ofrepToken: { doc: "Bearer token OFREP and event requests must carry; empty: none required.", format: String, default: "", env: "EVOLVD_OFREP_TOKEN", arg: "ofrep-token", sensitive: true },
  rescanMs: { doc: "Periodic rescan of the drop folder, besides watching it.", format: "nat", default: 5000, env: "EVOLVD_RESCAN_MS", arg: "rescan-ms" },
  debounceMs: { doc: "Quiet time before a changed drop file is read.", format: "nat", default: 300, env: "EVOLVD_DEBOUNCE_MS", arg: "debounce-ms" },
  maxBodyBytes: { doc: "Largest request body accepted (413 beyond).", format: "nat", default: 5 * 1024 * 1024, env: "EVOLVD_MAX_BODY_BYTES", arg: "max-body-bytes" },
  shutdownTimeoutMs: { doc: "Deadline for a graceful stop after SIGTERM or SIGINT.", format: "nat", default: 10000, env: "EVOLVD_SHUTDOWN_TIMEOUT_MS", arg: "shutdown-timeout-ms" },
  logLevel: { doc: "Log level.", format: ["trace", "debug", "info", "warn", "error", "fatal", "silent"], default: "info", env: "EVOLVD_LOG_LEVEL", arg: "log-level" },
};

export interface Settings {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly dropDir: string;
  readonly adminToken: string;
  readonly ofrepToken: string;
  readonly rescanMs: number;
  readonly debounceMs: number;
  readonly maxBodyBytes: number;
  readonly shutdownTimeoutMs: number;
  readonly logLevel: string;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/**
 * Loads settings from an optional file, the environment and argv. Throws an Error naming the
 * setting and the rule broken; refuses an admin API on a non-loopback address without a token.
 */
export function loadSettings(input: { file?: string; env: Readonly<Record<string, string | undefined>>; args: readonly string[] }): Settings {
  const config = convict(settingsSchema as convict.Schema<Settings>, { env: input.env as NodeJS.ProcessEnv, args: [...input.args] });
  if (input.file) config.loadFile(input.file);
  config.validate({ allowed: "strict" });
  const settings = config.getProperties() as Settings;
  if (!LOOPBACK.test(settings.host) && settings.adminToken === "")
    throw new Error(`host: refusing to serve the admin API on ${settings.host} without --admin-token (or EVOLVD_ADMIN_TOKEN)`);
  return settings;
}
