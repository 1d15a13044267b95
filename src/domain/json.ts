import { err, ok, problem, type Problem, type Result } from "./result.js";

/**
 * Keys refused in every input. `JSON.parse` makes them ordinary own properties, but the moment
 * code walks the input and writes `node[key]` on a plain object, `__proto__` (or
 * `constructor.prototype`) is Object.prototype itself: one target file could then add a
 * property to every object of the process. Nothing evolvd reads is legitimately named so.
 */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** How big a parsed input may be: nesting depth and number of values (objects, arrays, scalars). */
export interface JsonLimits {
  readonly maxDepth: number;
  readonly maxValues: number;
}

/** Target files, scenarios, settings: generous for any real file, far below what hurts. */
export const FILE_LIMITS: JsonLimits = { maxDepth: 32, maxValues: 200_000 };
/** Request bodies (a 5 MB events array is about a million values). */
export const BODY_LIMITS: JsonLimits = { maxDepth: 32, maxValues: 2_000_000 };

/** A value's path for messages: `schema.retry.limit`, `mutations[2].op`. */
function child(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path === "" ? key : `${path}.${key}`;
}

/**
 * Checks a parsed JSON value against the limits and the forbidden keys, without recursion (a
 * value nested 10,000 deep must not overflow the stack of the code that checks it). Returns
 * the first broken rule, naming its path, or null.
 *
 * @example checkJson(JSON.parse('{"a":{"__proto__":{}}}'), FILE_LIMITS)?.message === 'a.__proto__: the key "__proto__" is not allowed'
 */
export function checkJson(value: unknown, limits: JsonLimits, root = ""): Problem | null {
  const stack: { node: unknown; depth: number; path: string }[] = [{ node: value, depth: 0, path: root }];
  let values = 0;
  while (stack.length > 0) {
    const { node, depth, path } = stack.pop() as { node: unknown; depth: number; path: string };
    if (++values > limits.maxValues) return problem("too_large", `${root || "input"}: more than ${limits.maxValues} values`);
    if (node === null || typeof node !== "object") continue;
    if (depth >= limits.maxDepth) return problem("too_deep", `${path || "input"}: nested more than ${limits.maxDepth} levels deep`);
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push({ node: node[i], depth: depth + 1, path: child(path, i) });
      continue;
    }
    const keys = Object.keys(node);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string;
      if (FORBIDDEN_KEYS.has(key)) return problem("forbidden_key", `${child(path, key)}: the key "${key}" is not allowed`);
      stack.push({ node: (node as Record<string, unknown>)[key], depth: depth + 1, path: child(path, key) });
    }
  }
  return null;
}

/**
 * `JSON.parse` whose error never echoes the input (a symlink to a password file must not show
 * its first line in a rejection), followed by `checkJson`.
 */
export function parseJson(text: string, limits: JsonLimits): Result<unknown, Problem> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return err(problem("invalid_json", `not valid JSON: ${jsonErrorText(error as Error, text)}`));
  }
  const broken = checkJson(value, limits);
  return broken ? err(broken) : ok(value);
}

/** V8's message without the quoted excerpt of the input, with line and column when known. */
function jsonErrorText(error: Error, text: string): string {
  const message = error.message.replace(/,\s*".*"(\.\.\.)?\s+is not valid JSON$/s, "").replace(/ in JSON at position \d+.*$/s, "");
  const at = /at position (\d+)/.exec(error.message);
  if (!at) return message;
  const position = Number(at[1]);
  const before = text.slice(0, position);
  const line = before.split("\n").length;
  return `${message} at line ${line}, column ${position - before.lastIndexOf("\n")}`;
}

/** A value quoted for a message, cut to `max` characters (inputs can be megabytes long). */
export function quoted(value: unknown, max = 60): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}

/**
 * `record[key]` for a key that came from input: only the record's own entries, never what
 * its prototype has (`functions["constructor"]` is Object's constructor function).
 */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
