import type { MutationSpec, SchemaLeaf, Target } from "../domain/target.js";
import type { ConfigValues } from "../domain/values.js";
import { err, ok, type Result } from "../domain/result.js";
import { fileProblem, parseJsonObject, readTextFile, type FileProblem } from "./json-file.js";
import { parseMutationPlan } from "./mutation-plan.js";
import { parsePolicy } from "./policy.js";
import { parseSchema, validateValues } from "./schema.js";
import { FunctionListSchema, TargetFileSchema, type Functions } from "./target-schema.js";
import { compile } from "./validate.js";

const checkFile = compile(TargetFileSchema, "");
const checkFunctionList = compile(FunctionListSchema, "functions");

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
  const checked = checkFile(doc);
  const problems: string[] = checked.ok ? [] : [...checked.problems];
  // Each section present with the right kind goes on to its own parser, even when another
  // section is broken: one pass lists every problem of the file.
  const functions = isObject(doc.functions) ? parseFunctions(doc.functions, problems) : {};
  let leaves: SchemaLeaf[] = [];
  // A plan or a baseline is only judged against a schema that was read whole.
  let schemaRead = false;
  if (isObject(doc.schema)) {
    const schema = parseSchema(doc.schema, functions);
    problems.push(...schema.problems);
    leaves = schema.leaves;
    schemaRead = schema.problems.length === 0;
  }
  let plan: MutationSpec[] = [];
  if (schemaRead && Array.isArray(doc.mutations) && doc.mutations.length > 0) {
    const mutations = parseMutationPlan(doc.mutations, leaves, functions);
    problems.push(...mutations.problems);
    plan = mutations.plan;
  }
  const { policy, problems: policyProblems } = isObject(doc.policy) ? parsePolicy(doc.policy) : { policy: undefined, problems: [] };
  problems.push(...policyProblems);
  if (schemaRead && isObject(doc.baseline)) problems.push(...validateValues(leaves, functions, doc.baseline as ConfigValues).map((line) => `baseline.${line}`));

  if (!checked.ok || problems.length || !policy) return err(fileProblem(file, problems));
  return ok({
    name: checked.value.target,
    description: checked.value.description ?? "",
    schema: leaves,
    functions,
    baseline: checked.value.baseline as ConfigValues,
    mutations: plan,
    policy,
    source: file,
  });
}

/** The registries whose lists hold; each broken one is a problem, and is left out. */
function parseFunctions(raw: Record<string, unknown>, problems: string[]): Functions {
  const functions: Functions = {};
  for (const [name, list] of Object.entries(raw)) {
    const checked = checkFunctionList(list, `functions.${name}`);
    if (checked.ok) functions[name] = checked.value;
    else problems.push(...checked.problems);
  }
  return functions;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
