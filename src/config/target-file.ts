import type { GuardrailKpi, MutationSpec, Policy, SchemaLeaf, Target } from "../domain/target.js";
import type { ConfigValues } from "../domain/values.js";
import { err, ok, type Result } from "../domain/result.js";
import { fileProblem, parseJsonObject, readTextFile, type FileProblem } from "./json-file.js";
import { parseMutationPlan } from "./mutation-plan.js";
import { parsePolicy } from "./policy.js";
import { parseSchema, validateValues } from "./schema.js";
import { FunctionListSchema, StageRegistrySchema, TargetFileSchema, type Functions } from "./target-schema.js";
import { compile } from "./validate.js";

const checkFile = compile(TargetFileSchema, "");
const checkFunctionList = compile(FunctionListSchema, "functions");
const checkStageRegistry = compile(StageRegistrySchema, "functions");

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
  const stages: Record<string, string> = {};
  const functions = isObject(doc.functions) ? parseFunctions(doc.functions, stages, problems) : {};
  let leaves: SchemaLeaf[] = [];
  // A plan or a baseline is only judged against a schema that was read whole.
  let schemaRead = false;
  if (isObject(doc.schema)) {
    const schema = parseSchema(doc.schema, functions, stages);
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
  const staged = leaves.some((leaf) => leaf.kind === "function" && leaf.stage !== undefined);
  return ok({
    name: checked.value.target,
    description: checked.value.description ?? "",
    schema: leaves,
    functions,
    ...(staged ? { stages } : {}),
    ...(checked.value.clientKeys?.length ? { clientKeys: checked.value.clientKeys } : {}),
    baseline: checked.value.baseline as ConfigValues,
    mutations: plan,
    policy: staged ? withErrorGuardrail(policy) : policy,
    source: file,
  });
}

/**
 * The registries whose lists hold; each broken one is a problem, and is left out. A stage
 * registry ({"stage": id}) lists no names: its versions come from the SDKs' reports.
 */
function parseFunctions(raw: Record<string, unknown>, stages: Record<string, string>, problems: string[]): Functions {
  const functions: Functions = {};
  for (const [name, list] of Object.entries(raw)) {
    if (isObject(list)) {
      const stage = checkStageRegistry(list, `functions.${name}`);
      if (stage.ok) {
        stages[name] = stage.value.stage;
        functions[name] = [];
      } else problems.push(...stage.problems);
      continue;
    }
    const checked = checkFunctionList(list, `functions.${name}`);
    if (checked.ok) functions[name] = checked.value;
    else problems.push(...checked.problems);
  }
  return functions;
}

/** Default breaker of a stage's error rate: a version erring on more than 5 % of its runs is pulled at once. */
export const DEFAULT_ERROR_HARD_LIMIT = 0.05;

/**
 * A target with stage settings decides on their errors too: unless the policy already decides on
 * policy.errorKpi, it becomes a guardrail (a proportion that may not rise; may double relative
 * to the baseline's, with a hard limit), so the circuit breaker and rollback see failing versions.
 */
function withErrorGuardrail(policy: Policy): Policy {
  const kpi = policy.errorKpi;
  if (policy.primary.kpi === kpi || policy.guardrails.some((g) => g.kpi === kpi)) return policy;
  const guardrail: GuardrailKpi = { kpi, kind: "proportion", direction: "decrease", tolerance: 1, hardLimit: DEFAULT_ERROR_HARD_LIMIT, metric: "per_outcome" };
  return { ...policy, guardrails: [...policy.guardrails, guardrail] };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
