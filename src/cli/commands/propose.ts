import { resolve } from "node:path";
import { parseJsonObject, readTextFile } from "../../config/json-file.js";
import { short } from "../format.js";
import { CliError, type CliIo } from "../io.js";
import { callDaemon, type RemoteOptions } from "./remote.js";

/** `POST /v1/targets/:target/candidates`: the draft kept. */
interface DraftAnswer {
  readonly version: string;
  readonly changes: readonly { readonly path: string; readonly from: unknown; readonly to: unknown }[];
  readonly drafts: readonly string[];
}

/**
 * `evolvd propose <target> <values.json>`: an operator's candidate for a running daemon — all
 * settings, or only those it changes — checked against the target's schema there and kept as a
 * draft for the next generation, which screens and ramps it like any candidate.
 */
export async function proposeCommand(target: string, file: string, options: RemoteOptions & { note?: string; share?: string }, io: CliIo): Promise<void> {
  const share = options.share === undefined ? undefined : Number(options.share);
  if (share !== undefined && !(share > 0 && share < 1)) throw new CliError(`--share: must be a traffic share in (0, 1), got ${JSON.stringify(options.share)}`, 2);
  const path = resolve(io.cwd, file);
  const text = readTextFile(path);
  if (!text.ok) throw new CliError(text.error.message);
  const values = parseJsonObject(text.value, file);
  if (!values.ok) throw new CliError(values.error.message);
  const body = (await callDaemon(options, io, `/v1/targets/${encodeURIComponent(target)}/candidates`, { method: "POST", body: { values: values.value, note: options.note ?? `evolvd propose ${file}`, ...(share === undefined ? {} : { share }) } })) as unknown as DraftAnswer;
  io.stdout.write(`${target}: draft ${short(body.version)} (${body.changes.map((c) => `${c.path} ${JSON.stringify(c.from)}→${JSON.stringify(c.to)}`).join(", ") || "as tried before"}); ${body.drafts.length} waiting for the next generation${share === undefined ? "" : `; it will get ${(share * 100).toFixed(1)}% of the traffic once running`}\n`);
}
