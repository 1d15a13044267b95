import { Type, type Static, type TObject, type TSchema, type TUnion } from "@sinclair/typebox";
import { Ajv, type ErrorObject } from "ajv";

/**
 * The one schema toolchain of evolvd: TypeBox schemas (the TypeScript types come from the same
 * definition), compiled by ajv. Nothing is coerced — "40000abc" and "0x10" are not numbers —
 * unknown fields are errors, and defaults fill in what a file leaves out.
 */
const ajv = new Ajv({ allErrors: true, useDefaults: true, coerceTypes: false, strict: true, allowUnionTypes: true, verbose: true, discriminator: true });

/**
 * `rule`: the rule in words ("must be bernoulli, normal or lognormal"), said instead of ajv's
 * message when the value itself breaks its schema. Annotation only: it validates nothing.
 */
ajv.addKeyword({ keyword: "rule", schemaType: "string" });

/** "a number in (0, 0.5]", "an integer in [1, 64]": the whole rule, where ajv says only "must be <= 0.5". */
function rangeOf(schema: Record<string, unknown>): string | null {
  if (schema.type !== "number" && schema.type !== "integer") return null;
  const low = schema.exclusiveMinimum ?? schema.minimum;
  const high = schema.exclusiveMaximum ?? schema.maximum;
  const what = schema.type === "integer" ? "an integer" : "a number";
  if (low === undefined && high === undefined) return what;
  const open = schema.exclusiveMinimum !== undefined || low === undefined ? "(" : "[";
  const close = schema.exclusiveMaximum !== undefined || high === undefined ? ")" : "]";
  return `${what} in ${open}${low ?? "-∞"}, ${high ?? "∞"}${close}`;
}

/** A string that must be one of `values` (one clear error, where a union of literals gives many). */
export function StringEnum<const T extends readonly string[]>(values: T, options: { description?: string; default?: T[number]; rule?: string } = {}) {
  return Type.Unsafe<T[number]>({ type: "string", enum: [...values], ...options });
}

/**
 * Objects told apart by the string field `tag` (`{"op": "nudge", …}`): ajv's discriminator
 * checks only the variant the tag names, so a broken entry gets that variant's problems
 * alone (a plain union would report every variant's), and the variant's defaults are filled.
 */
export function TaggedUnion<T extends TObject[]>(tag: string, variants: [...T], options: { description?: string } = {}) {
  return Type.Unsafe<Static<TUnion<T>>>({ type: "object", discriminator: { propertyName: tag }, oneOf: variants, ...options });
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

const TYPE_WORDS: Record<string, string> = { string: "a string", object: "an object", array: "an array", boolean: "true or false", null: "null", number: "a number", integer: "an integer" };
const plural = (n: unknown, word: string) => `${String(n)} ${word}${n === 1 ? "" : "s"}`;
const short = (value: unknown) => JSON.stringify(value)?.slice(0, 60) ?? String(value);
/** Keywords about other fields or items, not the value's own shape: a `rule` does not replace their message. */
const NOT_RULED = new Set(["required", "additionalProperties", "uniqueItems", "discriminator"]);
/** Objects with at most this many fields list them when an unknown one is met. */
const LISTED_FIELDS = 8;

/** One line per broken rule, naming the path: `policy.alpha: must be a number in (0, 0.5]`. */
function describe(prefix: string, error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  const schema = (error.parentSchema ?? {}) as Record<string, unknown>;
  const at = pathOf(prefix, error.instancePath);
  if (typeof schema.rule === "string" && !NOT_RULED.has(error.keyword)) return `${at}: ${schema.rule}`;
  switch (error.keyword) {
    case "additionalProperties": {
      const field = JSON.stringify(String(params.additionalProperty).slice(0, 60));
      const known = Object.keys((schema.properties ?? {}) as object);
      const expected = known.length > 0 && known.length <= LISTED_FIELDS ? ` (expected ${known.join(", ")})` : "";
      return at === "(root)" ? `unknown top-level field ${field}${expected}` : `${at}: unknown field ${field}${expected}`;
    }
    case "required":
      return `${pathOf(prefix, error.instancePath, String(params.missingProperty))}: is required`;
    case "type":
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum": {
      const range = rangeOf(schema);
      if (range) return `${at}: must be ${range}`;
      const types = (Array.isArray(schema.type) ? schema.type : [schema.type]).map((t) => TYPE_WORDS[String(t)] ?? String(t));
      return error.keyword === "type" ? `${at}: must be ${types.join(" or ")}` : `${at}: ${error.message ?? "is invalid"}`;
    }
    case "enum":
      return `${at}: must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    case "const":
      return `${at}: must be ${short(params.allowedValue)}`;
    case "minItems":
      return `${at}: must have at least ${plural(params.limit, "item")}`;
    case "maxItems":
      return `${at}: must have at most ${plural(params.limit, "item")}`;
    case "minLength":
      return params.limit === 1 ? `${at}: must not be empty` : `${at}: must have at least ${plural(params.limit, "character")}`;
    case "maxLength":
      return `${at}: must have at most ${plural(params.limit, "character")}`;
    case "minProperties":
      return `${at}: must have at least ${plural(params.limit, "field")}`;
    case "pattern":
      return `${at}: must match ${String(params.pattern)}`;
    case "uniqueItems":
      return `${at}: lists ${short((error.data as unknown[])[params.j as number])} twice`;
    case "discriminator": {
      // The variants' tags, in order: "op: "constructor" is not one of swap, nudge, …".
      const tag = String(params.tag);
      const tags = ((schema.oneOf ?? []) as { properties?: Record<string, { const?: unknown }> }[]).map((v) => String(v.properties?.[tag]?.const));
      return `${at}: ${tag}: ${short(params.tagValue)} is not one of ${tags.join(", ")}`;
    }
    default:
      return `${at}: ${error.message ?? "is invalid"}`;
  }
}

export type Validator<S extends TSchema> = (value: unknown, prefix?: string) => { readonly ok: true; readonly value: Static<S> } | { readonly ok: false; readonly problems: string[] };

/**
 * Compiles a schema once. The validator works on a copy (defaults are filled into it, never
 * into the caller's value; `inPlace` skips the copy) and reports every broken rule, each prefixed with `prefix` (or the
 * validator's own `prefix` argument, for a schema applied at many places: `mutations[3]`).
 */
export function compile<S extends TSchema>(schema: S, prefix: string, options: { readonly inPlace?: boolean } = {}): Validator<S> {
  const check = ajv.compile(schema);
  return (value, at = prefix) => {
    // In place for values nobody else holds (a request's parsed body): no copy on the request path.
    const copy = value === undefined || options.inPlace ? value : structuredClone(value);
    if (check(copy)) return { ok: true, value: copy as Static<S> };
    const errors = check.errors ?? [];
    // A union with a `rule` says it once, for all its branches' errors.
    const ruled = errors.filter((e) => (e.keyword === "anyOf" || e.keyword === "oneOf") && typeof (e.parentSchema as { rule?: unknown } | undefined)?.rule === "string");
    const kept = errors.filter((e) => ruled.includes(e) || !ruled.some((u) => e.schemaPath.startsWith(`${u.schemaPath}/`)));
    // Other anyOf/oneOf repeat their branches' errors; the branch errors say more, so the summary goes.
    const said = kept.filter((e) => ruled.includes(e) || (e.keyword !== "anyOf" && e.keyword !== "oneOf"));
    return { ok: false, problems: [...new Set(said.map((e) => describe(at, e)))] };
  };
}
