import { readFileSync } from "node:fs";
import { err, ok, type Result } from "../domain/result.js";

/** Why a file was refused: the file and every broken rule, each naming its path. */
export interface FileProblem {
  readonly code: "invalid_file";
  readonly file: string;
  readonly problems: readonly string[];
  readonly message: string;
}

export function fileProblem(file: string, problems: readonly string[]): FileProblem {
  return { code: "invalid_file", file, problems, message: `${file}: ${problems.length === 1 ? problems[0] : "\n  " + problems.join("\n  ")}` };
}

/** Reads a file's text, or says why it cannot. */
export function readTextFile(file: string): Result<string, FileProblem> {
  try {
    return ok(readFileSync(file, "utf8"));
  } catch (error) {
    return err(fileProblem(file, [`cannot read: ${(error as Error).message}`]));
  }
}

/** Parses text that must be one JSON object; the problem names the file. */
export function parseJsonObject(text: string, file: string): Result<Record<string, unknown>, FileProblem> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return err(fileProblem(file, [`not valid JSON: ${(error as Error).message}`]));
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return err(fileProblem(file, ["must be a JSON object"]));
  return ok(raw as Record<string, unknown>);
}
