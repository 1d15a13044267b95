import { pino } from "pino";
import pretty from "pino-pretty";
import type { Logger } from "../domain/logger.js";

/**
 * The daemon's log: JSON lines through pino, or, on a terminal, the same records as readable
 * lines (pino-pretty, in this thread: no transport worker, so no second heap). Time comes from
 * pino's clock.
 */
export function jsonLogger(stream: { write(text: string): unknown; isTTY?: boolean }, level = "info"): Logger {
  if (stream.isTTY) return pino({ level, base: { service: "evolvd" } }, pretty({ destination: stream as NodeJS.WritableStream, sync: true, colorize: true, translateTime: "SYS:HH:MM:ss", ignore: "pid,hostname,service" }));
  return pino({ level, base: { service: "evolvd" } }, stream as NodeJS.WritableStream);
}
