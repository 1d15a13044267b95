/**
 * Which folder of src/ imports which: one line per folder with the folders it imports, from
 * the import statements of its files (type-only imports included). `--json` for a machine.
 *
 *   npx tsx scripts/module-graph.ts
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = resolve(import.meta.dirname, "..", "src");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/** The top-level folder of a file under src/ ("." for files directly in src/). */
const folderOf = (file: string): string => {
  const rel = relative(SRC, file).split("/");
  return rel.length > 1 ? (rel[0] as string) : ".";
};

export function moduleGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of files(SRC)) {
    const from = folderOf(file);
    const edges = graph.get(from) ?? graph.set(from, new Set()).get(from)!;
    for (const m of readFileSync(file, "utf8").matchAll(/(?:^|\n)\s*(?:import|export)[^;'"]*?from\s+["'](\.[^"']+)["']/g)) {
      const to = folderOf(resolve(dirname(file), m[1] as string));
      if (to !== from) edges.add(to);
    }
  }
  return graph;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const graph = moduleGraph();
  const rows = [...graph].sort(([a], [b]) => a.localeCompare(b)).map(([from, to]) => [from, [...to].sort()] as const);
  if (process.argv.includes("--json")) process.stdout.write(JSON.stringify(Object.fromEntries(rows), null, 2) + "\n");
  else for (const [from, to] of rows) console.log(`${from.padEnd(12)} → ${to.join(", ") || "(nothing)"}`);
}
