import { Type, type Static, type TProperties } from "@sinclair/typebox";
import { TARGET_NAME } from "../domain/names.js";
import { StringEnum, TaggedUnion } from "./validate.js";

/**
 * The structure of a target file (docs/target-file.md) as TypeBox schemas, validated by ajv
 * through `compile()`. They say what a JSON schema can: types, bounds, required and unknown
 * fields, defaults. What needs the file as a whole stays in code next to them — a mutation's
 * path must be a leaf of the schema and its op must fit the leaf, swap values must satisfy the
 * leaf, a registry must exist, min ≤ max, the nesting of schema objects.
 */

const object = { additionalProperties: false } as const;

/**
 * The top level. `schema`, `mutations` and `policy` are checked here only for their kind:
 * their content has its own schemas, applied by their own parsers leaf by leaf and entry by
 * entry, so that a broken entry never hides another's problems and the code rules run only
 * on what a schema vouched for.
 */
export const TargetFileSchema = Type.Object(
  {
    target: Type.String({ pattern: TARGET_NAME.source, rule: "must be a name of lower-case letters, digits, '-' or '_' (at most 63)" }),
    description: Type.Optional(Type.String()),
    schema: Type.Record(Type.String(), Type.Unknown(), { rule: "must be an object of settings" }),
    functions: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { rule: "must be an object of registry name → function names" })),
    baseline: Type.Record(Type.String(), Type.Unknown(), { rule: "must be an object of setting values" }),
    mutations: Type.Array(Type.Unknown(), { minItems: 1, rule: "must be a non-empty array" }),
    policy: Type.Record(Type.String(), Type.Unknown(), { rule: "must be an object" }),
    clientKeys: Type.Optional(
      Type.Array(Type.String({ pattern: "^[A-Za-z0-9_-]{16,128}$", rule: "must be 16–128 letters, digits, '-' or '_'" }), {
        maxItems: 16,
        uniqueItems: true,
        rule: "must be a list of at most 16 distinct client keys",
        description: "Public keys browser SDKs use: they may only sync and track this target (docs/sdk.md).",
      }),
    ),
  },
  object,
);
export type TargetFile = Static<typeof TargetFileSchema>;

/** One registry of `functions`: the names a `function` setting may take. */
export const FunctionListSchema = Type.Array(Type.String({ minLength: 1 }), { minItems: 1, uniqueItems: true, rule: "must be a non-empty array of function names" });
export const FunctionsSchema = Type.Record(Type.String(), FunctionListSchema);
/** A stage id: what an SDK registers a pipeline stage's versions under (docs/stages.md). */
export const STAGE_ID = /^[a-z][a-z0-9_.-]{0,63}$/;
/**
 * A registry backed by a pipeline stage: its names are the versions (SHA-256 of the code) that
 * every SDK syncing the target reports, known only at run time (docs/stages.md).
 */
export const StageRegistrySchema = Type.Object(
  { stage: Type.String({ pattern: STAGE_ID.source, rule: "must be a stage id: lower-case letters, digits, '_', '.' or '-' (at most 64)" }) },
  { additionalProperties: false, rule: 'must be a non-empty array of function names, or {"stage": "<stage id>"}' },
);
export type Functions = Static<typeof FunctionsSchema>;

// Schema leaves, one schema per `format`: the format picks the schema in code, because an enum
// leaf's format is an array, which no JSON-schema discriminator can switch on.
const doc = Type.Optional(Type.String());
export const IntegerLeafSchema = Type.Object({ doc, format: StringEnum(["int", "integer"] as const), min: Type.Integer(), max: Type.Integer() }, object);
/** `nat` is an integer whose `min` defaults to 0. */
export const NatLeafSchema = Type.Object({ doc, format: Type.Literal("nat"), min: Type.Integer({ default: 0 }), max: Type.Integer() }, object);
export const NumberLeafSchema = Type.Object({ doc, format: StringEnum(["number", "Number"] as const), min: Type.Number(), max: Type.Number() }, object);
export const BooleanLeafSchema = Type.Object({ doc, format: StringEnum(["Boolean", "boolean"] as const) }, object);
export const EnumLeafSchema = Type.Object(
  {
    doc,
    format: Type.Array(Type.Union([Type.String(), Type.Number()], { rule: "must be a string or a number" }), { minItems: 2, uniqueItems: true, rule: "must list at least two strings or numbers" }),
  },
  object,
);
export const WeightsLeafSchema = Type.Object({ doc, format: Type.Literal("weights"), length: Type.Integer({ minimum: 2 }) }, object);
export const FunctionLeafSchema = Type.Object({ doc, format: Type.Literal("function"), registry: Type.String() }, object);

/** A leaf as written in the file (before its bounds and registry are checked against the rest). */
export type LeafSpec =
  | Static<typeof IntegerLeafSchema>
  | Static<typeof NatLeafSchema>
  | Static<typeof NumberLeafSchema>
  | Static<typeof BooleanLeafSchema>
  | Static<typeof EnumLeafSchema>
  | Static<typeof WeightsLeafSchema>
  | Static<typeof FunctionLeafSchema>;

// Mutation entries: a union told apart by `op`, each operator with its own fields and defaults.
// Defaults that depend on the setting (nudge's step, swap's values) are filled in code.
const entry = <Op extends string, F extends TProperties>(op: Op, fields: F) =>
  Type.Object(
    {
      path: Type.String({ rule: "must be the path of a setting of the schema" }),
      op: Type.Literal(op),
      probability: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.5, description: "Chance that the entry fires when a candidate is drawn." }),
      ...fields,
    },
    object,
  );
const value = Type.Union([Type.String(), Type.Number()], { rule: "must be a string or a number" });
export const MutationSchema = TaggedUnion("op", [
  entry("swap", { values: Type.Optional(Type.Array(value, { minItems: 2, rule: "must list at least two values" })) }),
  entry("nudge", {
    maxStep: Type.Number({ exclusiveMinimum: 0, description: "Largest step, in the setting's units." }),
    step: Type.Optional(Type.Number({ minimum: 0, description: "Quantisation from min: 1 for integers, 0 = continuous." })),
  }),
  entry("flip", {}),
  entry("reweight", {
    sigma: Type.Number({ exclusiveMinimum: 0, maximum: 2, default: 0.2, description: "Standard deviation of the log-normal jitter of each weight." }),
    floor: Type.Number({ minimum: 0, default: 0, description: "Smallest weight after renormalising, below 1/length." }),
  }),
  entry("substitute", { registry: Type.Optional(Type.String()) }),
]);
export type MutationEntry = Static<typeof MutationSchema>;
