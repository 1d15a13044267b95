import { readFileSync } from "node:fs";
import type { Target } from "../domain/target.js";
import type { ConfigValues } from "../domain/values.js";
import { err, ok, type Result } from "../domain/result.js";
import { parseMutationPlan } from "./mutation-plan.js";
import { parsePolicy } from "./policy.js";
import { parseSchema, validateValues } from "./schema.js";

const TOP_LEVEL = ["target", "description", "schema", "functions", "baseline", "mutations", "policy"] as const;

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

/** Reads and validates a target file. Nothing is stored here: a refused file changes nothing. */
export function loadTargetFile(file: string): Result<Target, FileProblem> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    return err(fileProblem(file, [`cannot read: ${(error as Error).message}`]));
  }
  return parseTarget(text, file);
}

/** Parses target-file text; `file` is used in messages and to resolve relative paths. */
export function parseTarget(text: string, file: string): Result<Target, FileProblem> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return err(fileProblem(file, [`not valid JSON: ${(error as Error).message}`]));
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return err(fileProblem(file, ["must be a JSON object"]));
  const doc = raw as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(doc)) if (!(TOP_LEVEL as readonly string[]).includes(key)) problems.push(`unknown top-level field "${key}"`);
  if (typeof doc.target !== "string" || !/^[a-z0-9][a-z0-9_-]{0,62}$/.test(doc.target))
    problems.push("target: must be a name of lower-case letters, digits, '-' or '_' (at most 63)");

  const functions = parseFunctions(doc.functions, problems);
  const { leaves, problems: schemaProblems } = parseSchema(doc.schema, functions);
  problems.push(...schemaProblems);
  const { plan, problems: planProblems } = parseMutationPlan(doc.mutations, leaves, functions);
  if (!schemaProblems.length) problems.push(...planProblems);
  const { policy, problems: policyProblems } = parsePolicy(doc.policy);
  problems.push(...policyProblems);

  const baseline = doc.baseline;
  if (baseline === null || typeof baseline !== "object" || Array.isArray(baseline)) problems.push("baseline: must be an object of setting values");
  else if (!schemaProblems.length) problems.push(...validateValues(leaves, functions, baseline as ConfigValues).map((line) => `baseline.${line}`));

  if (problems.length || !policy) return err(fileProblem(file, problems));
  return ok({
    name: doc.target as string,
    description: typeof doc.description === "string" ? doc.description : "",
    schema: leaves,
    functions,
    baseline: baseline as ConfigValues,
    mutations: plan,
    policy,
    source: file,
  });
}

function parseFunctions(raw: unknown, problems: string[]): Record<string, string[]> {
  if (raw === undefined) return {};
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    problems.push("functions: must be an object of registry name → function names");
    return {};
  }
  const functions: Record<string, string[]> = {};
  for (const [name, list] of Object.entries(raw)) {
    if (!Array.isArray(list) || list.length === 0 || !list.every((f) => typeof f === "string" && f.length > 0)) {
      problems.push(`functions.${name}: must be a non-empty array of function names`);
      continue;
    }
    if (new Set(list).size !== list.length) problems.push(`functions.${name}: lists a function twice`);
    functions[name] = list as string[];
  }
  return functions;
}
