import { describe, expect, it } from "vitest";
import { moduleGraph } from "../../scripts/module-graph.js";

/** The layers of src/README.md, lowest first. */
const LAYERS: readonly (readonly string[])[] = [
  ["domain", "types"],
  ["assign", "bandit", "config", "decide", "evidence", "lifecycle", "metrics", "mutation", "random", "search", "stages", "stats", "stream", "targeting"],
  ["runtime"],
  ["store", "scale", "server", "watch", "sim", "jobs"],
  ["daemon", "cli", "openfeature", "sdk", "."],
];
const layerOf = (folder: string): number => LAYERS.findIndex((l) => l.includes(folder));

describe("the import arrows of src/ point one way (src/README.md)", () => {
  const graph = moduleGraph();

  it("every folder has a layer", () => {
    expect([...graph.keys()].filter((f) => layerOf(f) < 0)).toEqual([]);
  });

  it("no folder imports a folder of a higher layer", () => {
    const wrong = [...graph].flatMap(([from, tos]) => [...tos].filter((to) => layerOf(to) > layerOf(from)).map((to) => `${from} → ${to}`));
    expect(wrong).toEqual([]);
  });

  it("domain imports nothing", () => {
    expect([...(graph.get("domain") ?? [])]).toEqual([]);
  });

  it("no two folders import each other, directly or around a cycle", () => {
    const cycles: string[] = [];
    const visit = (folder: string, path: string[]): void => {
      for (const next of graph.get(folder) ?? []) {
        if (next === path[0]) cycles.push([...path, next].join(" → "));
        else if (!path.includes(next) && next > (path[0] as string)) visit(next, [...path, next]);
      }
    };
    for (const folder of graph.keys()) visit(folder, [folder]);
    expect(cycles).toEqual([]);
  });
});
