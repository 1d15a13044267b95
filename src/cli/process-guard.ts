import type { Logger } from "../domain/logger.js";
import { secretFree } from "../domain/redact.js";

/**
 * Errors of Redis clients that surface as promise rejections nobody awaits. ioredis re-sends
 * SUBSCRIBE on its own when a connection comes back; if AUTH then fails (a rotated password),
 * it rejects those commands with the AUTH error, whose `command.args` holds the password. Left
 * alone, Node prints the whole error and exits. These are outages, which readiness already
 * reports and the clients retry: they are logged (message only) and the daemon goes on.
 */
function isRedisFailure(reason: unknown): reason is Error {
  if (!(reason instanceof Error)) return false;
  if (reason.name === "ReplyError" || reason.name === "MaxRetriesPerRequestError") return true;
  return /^(WRONGPASS|NOAUTH|NOPERM|LOADING|READONLY|MASTERDOWN)\b|Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|ETIMEDOUT/.test(reason.message);
}


/**
 * Installs the daemon's process-level guard: Redis failures that escaped their library are
 * logged and survived; anything else unhandled is logged without secrets and ends the process
 * with exit code 1 (a bug must not run on in an unknown state). Returns the uninstall function.
 */
export function guardProcess(log: Logger, exit: (code: number) => void): () => void {
  let survived = 0;
  const onRejection = (reason: unknown) => {
    if (isRedisFailure(reason)) {
      // One line per 100 keeps an outage readable.
      if (survived++ % 100 === 0) log.warn({ error: secretFree(reason.message), seen: survived }, "redis command failed outside any caller; readiness reports the outage and the clients retry");
      return;
    }
    const error = reason instanceof Error ? reason : new Error(String(reason));
    log.error({ error: secretFree(error.message), stack: secretFree(error.stack ?? "") }, "unhandled rejection; stopping");
    exit(1);
  };
  process.on("unhandledRejection", onRejection);
  return () => process.off("unhandledRejection", onRejection);
}
