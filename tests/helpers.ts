import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PassThrough } from "node:stream";
import { loadTargetFile } from "../src/config/target-file.js";
import type { Target } from "../src/domain/target.js";
import { main } from "../src/cli/main.js";

export const ROOT = resolve(import.meta.dirname, "..");
export const CHECKOUT = join(ROOT, "configs", "checkout.json");

export function checkoutTarget(): Target {
  const loaded = loadTargetFile(CHECKOUT);
  if (!loaded.ok) throw new Error(loaded.error.message);
  return loaded.value;
}

export function tempDir(prefix = "evolvd-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Runs the evolvd CLI in-process and captures its output. */
export async function runCli(argv: string[], cwd = ROOT, input = ""): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const stdin = new PassThrough();
  stdin.end(input);
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin,
    env: {},
    cwd,
  });
  return { code, stdout, stderr };
}
