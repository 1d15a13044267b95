import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { Ajv, type ValidateFunction } from "ajv";
import { wasm } from "./components/wasm-api.js";

/** What a stage gets besides its input: who it runs for, and where it logs its side effects. */
export interface StageContext {
  readonly target: string;
  readonly unit: string;
  readonly stage: string;
  readonly version: string;
  /** Logs a side effect (a database write, an outbound call): sent with the run's outcome, kept in the version's history. */
  effect(kind: string, detail?: unknown): void;
}

/** A stage written in JavaScript: input (and context) in, output out, sync or async. */
export type StageFunction = (input: any, context: StageContext) => unknown;

/**
 * A stage's code: a JavaScript function, or the bytes of a WebAssembly module exporting `run`,
 * called with the input's numbers (a number, or an array of numbers as the arguments) and
 * returning a number.
 */
export type StageImplementation = StageFunction | Uint8Array | ArrayBuffer;

export interface StageOptions {
  /** JSON schema every input must satisfy (a bad input is the caller's error: run rejects). */
  readonly input?: object;
  /** JSON schema every output must satisfy (a bad output falls back to the baseline version). */
  readonly output?: object;
  /**
   * Whether the stage may change its input. An immutable stage (the default) gets a frozen copy,
   * so a write throws and counts as its failure; a mutable one gets a copy of its own. Either
   * way the caller's input and a fallback's input stay as they were.
   */
  readonly mutable?: boolean;
}

export interface RegisteredStage {
  readonly stage: string;
  /** The SHA-256 of the code (function source text, or module bytes), hex. */
  readonly version: string;
  readonly mutable: boolean;
  /** Resolves once the version can run (a WebAssembly module compiled); rejects with why it cannot. */
  readonly ready: Promise<void>;
}

/** A refusal of the stage API, with a code an application can switch on. */
export class StageError extends Error {
  constructor(
    readonly code: "invalid_stage" | "invalid_input" | "unknown_target" | "unbound_stage" | "stage_missing" | "stage_failed",
    message: string,
  ) {
    super(message);
    this.name = "StageError";
  }
}

const STAGE_ID = /^[a-z][a-z0-9_.-]{0,63}$/;
const ajv = new Ajv({ allErrors: true, strict: false });

/** One registered version, ready to run. */
export interface StageVersion {
  readonly stage: string;
  readonly version: string;
  readonly mutable: boolean;
  readonly input: object | null;
  readonly output: object | null;
  /** Why `value` breaks the input or output schema, or null. */
  checkInput(value: unknown): string | null;
  checkOutput(value: unknown): string | null;
  call(input: unknown, context: StageContext): Promise<unknown>;
  compiled: boolean;
}

/** The version id of a stage's code: SHA-256 of the function's source text or of the module bytes. */
export function stageVersionOf(implementation: StageImplementation): string {
  const bytes = typeof implementation === "function" ? utf8ToBytes(implementation.toString()) : implementation instanceof Uint8Array ? implementation : new Uint8Array(implementation);
  return bytesToHex(sha256(bytes));
}

const schemaCheck = (schema: object | undefined, what: string): ((value: unknown) => string | null) => {
  if (!schema) return () => null;
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (error) {
    throw new StageError("invalid_stage", `${what} schema: ${(error as Error).message}`);
  }
  return (value) => (validate(value) ? null : ajv.errorsText(validate.errors, { dataVar: what }));
};


/** A module's `run`, called with the input's numbers. */
function wasmCall(bytes: Uint8Array, stage: string): { compiled: Promise<(input: unknown) => unknown> } {
  const compiled = wasm.instantiate(bytes).then(({ instance }) => {
    const run = instance.exports.run;
    if (typeof run !== "function") throw new StageError("invalid_stage", `stage "${stage}": the WebAssembly module exports no "run" function`);
    return (input: unknown) => (Array.isArray(input) ? (run as (...a: unknown[]) => unknown)(...input) : (run as (a: unknown) => unknown)(input));
  });
  return { compiled };
}

/** A deep-frozen copy: what an immutable stage gets. */
function frozenCopy<T>(value: T): T {
  const copy = structuredClone(value);
  const freeze = (v: unknown): void => {
    if (v === null || typeof v !== "object" || Object.isFrozen(v)) return;
    Object.freeze(v);
    for (const child of Object.values(v)) freeze(child);
  };
  freeze(copy);
  return copy;
}

/**
 * The stages registered in this SDK, by stage id and version. Versions are content-addressed:
 * registering the same code again returns the same version (its schemas must match); a stage is
 * mutable or immutable for all its versions.
 */
export class StageSet {
  private readonly stages = new Map<string, Map<string, StageVersion>>();
  /** Told when a version can run (the SDK then reports its registry). */
  onChange: () => void = () => {};

  register(stage: string, implementation: StageImplementation, options: StageOptions = {}): RegisteredStage {
    if (!STAGE_ID.test(stage)) throw new StageError("invalid_stage", `stage id ${JSON.stringify(stage)}: lower-case letters, digits, '_', '.' or '-', at most 64`);
    if (typeof implementation !== "function" && !(implementation instanceof Uint8Array) && !(implementation instanceof ArrayBuffer))
      throw new StageError("invalid_stage", `stage "${stage}": the implementation must be a function or WebAssembly bytes`);
    const version = stageVersionOf(implementation);
    const mutable = options.mutable === true;
    const versions = this.stages.get(stage) ?? new Map<string, StageVersion>();
    const other = [...versions.values()][0];
    if (other && other.mutable !== mutable) throw new StageError("invalid_stage", `stage "${stage}" is ${other.mutable ? "mutable" : "immutable"}: every version of a stage must be`);
    const known = versions.get(version);
    if (known) {
      if (JSON.stringify(known.input) !== JSON.stringify(options.input ?? null) || JSON.stringify(known.output) !== JSON.stringify(options.output ?? null))
        throw new StageError("invalid_stage", `stage "${stage}" version ${version.slice(0, 12)} is registered with other schemas: a version's code and schemas do not change`);
      return { stage, version, mutable, ready: Promise.resolve() };
    }
    // Bad schemas are refused before anything starts.
    const checkInput = schemaCheck(options.input, "input");
    const checkOutput = schemaCheck(options.output, "output");
    // A function runs at once; a module once compiled (until then `get` does not offer it).
    const compiling = typeof implementation === "function" ? null : wasmCall(implementation instanceof Uint8Array ? implementation : new Uint8Array(implementation), stage).compiled;
    const run = typeof implementation === "function" ? async (input: unknown, context: StageContext) => implementation(input, context) : async (input: unknown) => (await (compiling as Promise<(input: unknown) => unknown>))(input);
    const entry: StageVersion = {
      stage,
      version,
      mutable,
      input: options.input ?? null,
      output: options.output ?? null,
      checkInput,
      checkOutput,
      call: (input, context) => run(mutable ? structuredClone(input) : frozenCopy(input), context),
      compiled: compiling === null,
    };
    const ready = compiling === null ? Promise.resolve() : compiling.then(() => {
      entry.compiled = true;
      this.onChange();
    });
    ready.catch(() => versions.delete(version));
    versions.set(version, entry);
    this.stages.set(stage, versions);
    if (entry.compiled) this.onChange();
    return { stage, version, mutable, ready };
  }

  /** The version, when it is registered and can run. */
  get(stage: string, version: string): StageVersion | undefined {
    const found = this.stages.get(stage)?.get(version);
    return found?.compiled ? found : undefined;
  }

  /** What the SDK reports to the daemon: every stage with its runnable versions. */
  report(): { id: string; mutable: boolean; versions: { version: string; input: unknown; output: unknown }[] }[] {
    return [...this.stages].map(([id, versions]) => {
      const list = [...versions.values()].filter((v) => v.compiled);
      return { id, mutable: list[0]?.mutable ?? false, versions: list.map((v) => ({ version: v.version, input: v.input, output: v.output })) };
    });
  }
}
