import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { loadBanditEngine } from "../../bandit/kernel.js";
import { answer } from "../analyze-request.js";
import { CliError, type CliIo } from "../io.js";
import { jsonLogger } from "../logger.js";

/** `evolvd analyze [FILE|-]`: JSON in (a file, or stdin for "-" or no argument), JSON out. */
export async function analyzeCommand(file: string | undefined, io: CliIo): Promise<void> {
  const where = !file || file === "-" ? "stdin" : file;
  let text: string;
  try {
    text = where === "stdin" ? await readAll(io.stdin) : await readFile(resolve(io.cwd, where), "utf8");
  } catch (error) {
    throw new CliError(`${where}: cannot read: ${(error as Error).message}`);
  }
  let request: unknown;
  try {
    request = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${where}: not valid JSON: ${(error as Error).message}`);
  }
  const result = answer(request, loadBanditEngine(jsonLogger(io.stderr, "warn")));
  if (!result.ok) throw new CliError(`${where}:\n  ${result.problems.join("\n  ")}`);
  io.stdout.write(JSON.stringify(result.value, null, 2) + "\n");
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}
