import { resolve } from "node:path";
import { versionIdOf } from "../../config/canonical.js";
import { validateValues } from "../../config/schema.js";
import { loadTargetFile } from "../../config/target-file.js";
import { proposeCandidates } from "../../mutation/engine.js";
import { seededRng } from "../../random/seeded-rng.js";
import { short } from "../format.js";
import { CliError, type CliIo } from "../io.js";

/** `evolvd mutate <target-file> --seed N --count K`: candidates of the file's baseline, as JSON lines. */
export function mutateCommand(file: string, options: { seed: string; count: string; generation?: string; json?: boolean }, io: CliIo): void {
  const target = loadTargetFile(resolve(io.cwd, file));
  if (!target.ok) throw new CliError(target.error.message);
  const count = Number(options.count);
  if (!Number.isInteger(count) || count < 1 || count > 1000) throw new CliError("--count: must be an integer from 1 to 1000", 2);
  const generation = Number(options.generation ?? "1");
  if (!Number.isInteger(generation) || generation < 1) throw new CliError("--generation: must be a positive integer", 2);
  const t = target.value;
  const parent = { id: versionIdOf(t.baseline), target: t.name, values: t.baseline, parent: null, mutations: [], seed: null, generation: 0, createdAt: 0 };
  // The same stream the optimizer uses for this generation, so the output matches the daemon's.
  const rng = seededRng(options.seed).fork(`generation:${generation}`).fork("mutation");
  const { candidates, dropped } = proposeCandidates({
    target: t.name,
    parent,
    plan: t.mutations,
    schema: t.schema,
    functions: t.functions,
    validate: (values) => validateValues(t.schema, t.functions, values),
    idOf: versionIdOf,
    rng,
    count,
    generation,
    now: 0,
  });
  if (options.json) {
    io.stdout.write(JSON.stringify({ parent: parent.id, candidates, dropped }, null, 2) + "\n");
    return;
  }
  io.stdout.write(`parent ${short(parent.id)} (${t.name} baseline), seed ${options.seed}, generation ${generation}\n`);
  for (const c of candidates)
    io.stdout.write(`${c.id}  ${c.mutations.map((m) => `${m.op} ${m.path} ${JSON.stringify(m.from)}→${JSON.stringify(m.to)}`).join(", ")}\n`);
  for (const d of dropped) io.stdout.write(`dropped slot ${d.slot}: ${d.reason}\n`);
}
