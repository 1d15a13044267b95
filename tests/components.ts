import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./helpers.js";

/** The recommender component's interface and built variants (npm run build writes components/build). */
export const RECOMMENDER_WIT = readFileSync(join(ROOT, "components", "wit", "recommender.wit"), "utf8");
export const variant = (name: "popularity" | "explore" | "shrunk" | "broken-state" | "broken-start"): Uint8Array => new Uint8Array(readFileSync(join(ROOT, "components", "build", `${name}.wasm`)));
