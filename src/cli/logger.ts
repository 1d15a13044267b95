import { pino } from "pino";
import type { Logger } from "../domain/logger.js";

/** JSON lines on a stream (stderr by default), through pino. Time comes from pino's clock. */
export function jsonLogger(stream: { write(text: string): unknown }, level = "info"): Logger {
  return pino({ level, base: { service: "evolvd" } }, stream as NodeJS.WritableStream);
}
