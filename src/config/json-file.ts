import { readFileSync, statSync } from "node:fs";
import { FILE_LIMITS, parseJson } from "../domain/json.js";
import { err, ok, type Result } from "../domain/result.js";

/** The largest target, scenario or settings file read (real ones are a few kilobytes). */
export const MAX_FILE_BYTES = 1024 * 1024;

/** Why a file was refused: the file and every broken rule, each naming its path. */
export interface FileProblem {
  readonly code: "invalid_file";
  readonly file: string;
  readonly problems: readonly string[];
  readonly message: string;
}

/** At most this many problems are listed (a broken file can break thousands of rules)… */
const MAX_PROBLEMS = 20;
/** …each cut to this length: a message may quote a value, and values can be megabytes long. */
const MAX_PROBLEM_CHARS = 300;

export function fileProblem(file: string, problems: readonly string[]): FileProblem {
  const cut = (p: string) => (p.length <= MAX_PROBLEM_CHARS ? p : `${p.slice(0, MAX_PROBLEM_CHARS)}… (cut)`);
  const listed = (problems.length > MAX_PROBLEMS ? [...problems.slice(0, MAX_PROBLEMS), `… and ${problems.length - MAX_PROBLEMS} more problems`] : problems).map(cut);
  return { code: "invalid_file", file, problems: listed, message: `${file}: ${listed.length === 1 ? listed[0] : "\n  " + listed.join("\n  ")}` };
}

/** Reads a regular file's text (at most MAX_FILE_BYTES), or says why it cannot. */
export function readTextFile(file: string): Result<string, FileProblem> {
  try {
    const stat = statSync(file);
    if (!stat.isFile()) return err(fileProblem(file, ["cannot read: not a regular file"]));
    if (stat.size > MAX_FILE_BYTES) return err(fileProblem(file, [`cannot read: ${stat.size} bytes, more than the ${MAX_FILE_BYTES} a file may have`]));
    return ok(readFileSync(file, "utf8"));
  } catch (error) {
    return err(fileProblem(file, [`cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`]));
  }
}

/**
 * Parses text that must be one JSON object; the problem names the file. Depth, size and the
 * keys that could reach Object.prototype are checked here, before any code walks the value.
 */
export function parseJsonObject(text: string, file: string): Result<Record<string, unknown>, FileProblem> {
  // Editors that save a UTF-8 byte-order mark still write JSON.
  const parsed = parseJson(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, FILE_LIMITS);
  if (!parsed.ok) return err(fileProblem(file, [parsed.error.message]));
  const raw = parsed.value;
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return err(fileProblem(file, ["must be a JSON object"]));
  return ok(raw as Record<string, unknown>);
}
