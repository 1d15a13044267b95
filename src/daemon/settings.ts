import convict from "convict";
import { parseJsonObject, readTextFile } from "../config/json-file.js";

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
  viewerToken: { doc: "Bearer token that reads the admin API and the console (GET only: no action); needs adminToken. Empty: none.", format: String, default: "", env: "EVOLVD_VIEWER_TOKEN", arg: "viewer-token", sensitive: true },
  corsOrigins: { doc: "Origins browsers may call the SDK routes and events from (comma-separated; '*' any). Empty: no cross-origin calls.", format: String, default: "*", env: "EVOLVD_CORS_ORIGINS", arg: "cors-origins" },
  clientEventsPerMinute: { doc: "Most events a browser client key may send per unit and target per minute (beyond: rejected as rate_limited).", format: "nat", default: 120, env: "EVOLVD_CLIENT_EVENTS_PER_MINUTE", arg: "client-events-per-minute" },
  rescanMs: { doc: "Periodic rescan of the drop folder, besides watching it.", format: "nat", default: 5000, env: "EVOLVD_RESCAN_MS", arg: "rescan-ms" },
  debounceMs: { doc: "Quiet time before a changed drop file is read.", format: "nat", default: 300, env: "EVOLVD_DEBOUNCE_MS", arg: "debounce-ms" },
  maxBodyBytes: { doc: "Largest request body accepted (413 beyond).", format: "nat", default: 5 * 1024 * 1024, env: "EVOLVD_MAX_BODY_BYTES", arg: "max-body-bytes" },
  maxEventsPerRequest: { doc: "Most event lines one POST /v1/events may carry (413 beyond, nothing ingested).", format: "nat", default: 10_000, env: "EVOLVD_MAX_EVENTS_PER_REQUEST", arg: "max-events-per-request" },
  requestTimeoutMs: { doc: "Deadline for receiving a whole request, body included (a body trickled slowly is cut off).", format: "nat", default: 30_000, env: "EVOLVD_REQUEST_TIMEOUT_MS", arg: "request-timeout-ms" },
  maxDropFileBytes: { doc: "Largest file read from the drop folder (bigger ones are refused).", format: "nat", default: 1024 * 1024, env: "EVOLVD_MAX_DROP_FILE_BYTES", arg: "max-drop-file-bytes" },
  shutdownTimeoutMs: { doc: "Deadline for a graceful stop after SIGTERM or SIGINT.", format: "nat", default: 10000, env: "EVOLVD_SHUTDOWN_TIMEOUT_MS", arg: "shutdown-timeout-ms" },
  redis: { doc: "Redis URL (redis://[user:password@]host:port[/db]): switches to scale-out, many daemons acting as one. Empty: embedded.", format: String, default: "", env: "EVOLVD_REDIS_URL", arg: "redis", sensitive: true },
  redisPrefix: { doc: "Scale-out: namespace of every Redis key, queue and channel (one per deployment).", format: String, default: "evolvd", env: "EVOLVD_REDIS_PREFIX", arg: "redis-prefix" },
  flushMs: { doc: "Scale-out: how often an instance adds its statistics to the merged ones in Redis.", format: "nat", default: 200, env: "EVOLVD_FLUSH_MS", arg: "flush-ms" },
  syncMs: { doc: "Scale-out: how often an instance re-reads the shared state besides change messages (heals a missed one).", format: "nat", default: 1000, env: "EVOLVD_SYNC_MS", arg: "sync-ms" },
  maxUnflushed: { doc: "Scale-out: most statistics entries an instance holds back while Redis is unreachable (oldest exposures dropped beyond, counted).", format: "nat", default: 1_000_000, env: "EVOLVD_MAX_UNFLUSHED", arg: "max-unflushed" },
  jobLockMs: { doc: "Scale-out: lock of a tick or screening job; a job whose instance died is retried after it.", format: "nat", default: 10000, env: "EVOLVD_JOB_LOCK_MS", arg: "job-lock-ms" },
  faultPauseBeforeCommitMs: { doc: "Fault injection (drills, tests): scale-out decisions wait this long between deciding and committing.", format: "nat", default: 0, env: "EVOLVD_FAULT_PAUSE_BEFORE_COMMIT_MS", arg: "fault-pause-before-commit-ms" },
  logLevel: { doc: "Log level.", format: ["trace", "debug", "info", "warn", "error", "fatal", "silent"], default: "info", env: "EVOLVD_LOG_LEVEL", arg: "log-level" },
};

export interface Settings {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly dropDir: string;
  readonly adminToken: string;
  readonly ofrepToken: string;
  readonly viewerToken: string;
  readonly corsOrigins: string;
  readonly clientEventsPerMinute: number;
  readonly rescanMs: number;
  readonly debounceMs: number;
  readonly maxBodyBytes: number;
  readonly maxEventsPerRequest: number;
  readonly requestTimeoutMs: number;
  readonly maxDropFileBytes: number;
  readonly shutdownTimeoutMs: number;
  readonly redis: string;
  readonly redisPrefix: string;
  readonly flushMs: number;
  readonly syncMs: number;
  readonly maxUnflushed: number;
  readonly jobLockMs: number;
  readonly faultPauseBeforeCommitMs: number;
  readonly logLevel: string;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/**
 * Loads settings from an optional file, the environment and argv. Throws an Error naming the
 * setting and the rule broken; refuses an admin API on a non-loopback address without a token.
 */
export function loadSettings(input: { file?: string; env: Readonly<Record<string, string | undefined>>; args: readonly string[] }): Settings {
  const config = convict(settingsSchema as convict.Schema<Settings>, { env: input.env as NodeJS.ProcessEnv, args: [...input.args] });
  if (input.file) {
    // Read through the same checks as every other file (size, depth, prototype keys), then handed to convict.
    const text = readTextFile(input.file);
    const parsed = text.ok ? parseJsonObject(text.value, input.file) : text;
    if (!parsed.ok) throw new Error(parsed.error.message);
    config.load(parsed.value);
  }
  config.validate({ allowed: "strict" });
  const settings = config.getProperties() as Settings;
  if (settings.redis !== "" && !/^rediss?:\/\//.test(settings.redis)) throw new Error(`redis: expected a redis:// or rediss:// URL, got ${JSON.stringify(settings.redis.replace(/:[^:@/]*@/, ":***@"))}`);
  if (settings.redisPrefix === "" || /[\s{}]/.test(settings.redisPrefix)) throw new Error(`redis-prefix: must be non-empty, without spaces or braces, got ${JSON.stringify(settings.redisPrefix)}`);
  for (const key of ["flushMs", "syncMs", "jobLockMs"] as const) if (settings[key] < 10) throw new Error(`${key}: must be at least 10 ms, got ${settings[key]}`);
  // Without an admin token everything is open: a viewer token would guard nothing.
  if (settings.viewerToken !== "" && settings.adminToken === "") throw new Error("viewer-token: needs an admin token (--admin-token or EVOLVD_ADMIN_TOKEN); without one the admin API is open to all");
  if (settings.viewerToken !== "" && settings.viewerToken === settings.adminToken) throw new Error("viewer-token: must differ from the admin token");
  if (!LOOPBACK.test(settings.host) && settings.adminToken === "")
    throw new Error(`host: refusing to serve the admin API on ${settings.host} without --admin-token (or EVOLVD_ADMIN_TOKEN)`);
  return settings;
}
