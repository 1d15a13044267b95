import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { Ajv, type ErrorObject } from "ajv";

/**
 * The one schema toolchain of evolvd: TypeBox schemas (the TypeScript types come from the same
 * definition), compiled by ajv. Nothing is coerced — "40000abc" and "0x10" are not numbers —
 * unknown fields are errors, and defaults fill in what a file leaves out.
 */
const ajv = new Ajv({ allErrors: true, useDefaults: true, coerceTypes: false, strict: true, allowUnionTypes: true, verbose: true });

/** "a number in (0, 0.5]", "an integer in [1, 64]": the whole rule, where ajv says only "must be <= 0.5". */
function rangeOf(schema: Record<string, unknown>): string | null {
  if (schema.type !== "number" && schema.type !== "integer") return null;
  const low = schema.exclusiveMinimum ?? schema.minimum;
  const high = schema.exclusiveMaximum ?? schema.maximum;
  const what = schema.type === "integer" ? "an integer" : "a number";
  if (low === undefined && high === undefined) return what;
  const open = schema.exclusiveMinimum !== undefined ? "(" : "[";
  const close = schema.exclusiveMaximum !== undefined ? ")" : "]";
  return `${what} in ${open}${low ?? "-∞"}, ${high ?? "∞"}${close}`;
}

/** A string that must be one of `values` (one clear error, where a union of literals gives many). */
export function StringEnum<const T extends readonly string[]>(values: T, options: { description?: string; default?: T[number] } = {}) {
  return Type.Unsafe<T[number]>({ type: "string", enum: [...values], ...options });
}

/** `/canary/steps/0` → `canary.steps[0]`, under `prefix`. */
function pathOf(prefix: string, instancePath: string, extra?: string): string {
  let path = prefix;
  for (const part of [...instancePath.split("/").slice(1), ...(extra === undefined ? [] : [extra])]) {
    const key = part.replace(/~1/g, "/").replace(/~0/g, "~");
    path = /^\d+$/.test(key) ? `${path}[${key}]` : path === "" ? key : `${path}.${key}`;
  }
  return path === "" ? "(root)" : path;
}

/** One line per broken rule, naming the path: `policy.alpha: must be <= 0.5`. */
function describe(prefix: string, error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "additionalProperties":
      return `${pathOf(prefix, error.instancePath)}: unknown field ${JSON.stringify(String(params.additionalProperty).slice(0, 60))}`;
    case "required":
      return `${pathOf(prefix, error.instancePath, String(params.missingProperty))}: is required`;
    case "type":
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum": {
      const range = rangeOf((error.parentSchema ?? {}) as Record<string, unknown>);
      if (range) return `${pathOf(prefix, error.instancePath)}: must be ${range}`;
      return `${pathOf(prefix, error.instancePath)}: ${error.message ?? "is invalid"}`;
    }
    case "enum":
      return `${pathOf(prefix, error.instancePath)}: must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    default:
      return `${pathOf(prefix, error.instancePath)}: ${error.message ?? "is invalid"}`;
  }
}

export type Validator<S extends TSchema> = (value: unknown) => { readonly ok: true; readonly value: Static<S> } | { readonly ok: false; readonly problems: string[] };

/**
 * Compiles a schema once. The validator works on a copy (defaults are filled into it, never
 * into the caller's value) and reports every broken rule, each prefixed with `prefix`.
 */
export function compile<S extends TSchema>(schema: S, prefix: string): Validator<S> {
  const check = ajv.compile(schema);
  return (value) => {
    const copy = value === undefined ? undefined : structuredClone(value);
    if (check(copy)) return { ok: true, value: copy as Static<S> };
    // anyOf/oneOf repeat their branches' errors; the branch errors say more, so the summary goes.
    const errors = (check.errors ?? []).filter((e) => e.keyword !== "anyOf" && e.keyword !== "oneOf");
    return { ok: false, problems: [...new Set(errors.map((e) => describe(prefix, e)))] };
  };
}
