/**
 * Structured logging port (a subset of pino's): one JSON line per transition and decision.
 * Fields use the vocabulary: target, experiment, generation, arm, version, reason.
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
