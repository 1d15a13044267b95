import { quoted } from "../domain/json.js";
import { isTargetName } from "../domain/names.js";
import type { Target } from "../domain/target.js";
import type { ConfigValues } from "../domain/values.js";
import { err, ok, type Result } from "../domain/result.js";
import { fileProblem, parseJsonObject, readTextFile, type FileProblem } from "./json-file.js";
import { parseMutationPlan } from "./mutation-plan.js";
import { parsePolicy } from "./policy.js";
import { parseSchema, validateValues } from "./schema.js";


const TOP_LEVEL = ["target", "description", "schema", "functions", "baseline", "mutations", "policy"] as const;

/** Reads and validates a target file. Nothing is stored here: a refused file changes nothing. */
export function loadTargetFile(file: string): Result<Target, FileProblem> {
  const text = readTextFile(file);
  return text.ok ? parseTarget(text.value, file) : text;
}

/** Parses target-file text; `file` is used in messages and to resolve relative paths. */
export function parseTarget(text: string, file: string): Result<Target, FileProblem> {
  const parsed = parseJsonObject(text, file);
  if (!parsed.ok) return parsed;
  const doc = parsed.value;
  const problems: string[] = [];
  for (const key of Object.keys(doc)) if (!(TOP_LEVEL as readonly string[]).includes(key)) problems.push(`unknown top-level field ${quoted(key)}`);
  if (typeof doc.target !== "string" || !isTargetName(doc.target))
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
      problems.push(`functions.${quoted(name)}: must be a non-empty array of function names`);
      continue;
    }
    if (new Set(list).size !== list.length) problems.push(`functions.${quoted(name)}: lists a function twice`);
    functions[name] = list as string[];
  }
  return functions;
}
