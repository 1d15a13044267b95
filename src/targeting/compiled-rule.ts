import type { AudienceRule } from "../domain/target.js";

/**
 * Audience rules compiled to closures, for the operators rules mostly use (var, comparisons,
 * equality, in, and, or, !, !!, if, starts_with, ends_with): json-logic-js walks the rule tree
 * and allocates an argument list per node on every evaluation, about 2 µs for a two-clause
 * rule; a closure tree takes a tenth of that. Each operator does exactly what json-logic-js's
 * does — the same coercions (`==` is JavaScript's), the same first-falsy `and`, the same
 * `in` over arrays and strings — checked against the interpreter on random rules and contexts
 * (tests/unit/targeting/compiled-rule.test.ts). A rule with any other operator is not compiled
 * (null): `matches` interprets it.
 */
export type CompiledAudience = (context: Readonly<Record<string, unknown>>, evolvd: (key: string) => unknown) => unknown;
type Node = CompiledAudience;

/** json-logic-js's truthiness: an empty array is false. */
export const truthy = (value: unknown): boolean => (Array.isArray(value) && value.length === 0 ? false : !!value);

const compiled = new WeakMap<object, CompiledAudience | null>();

/** The rule's closure (cached per rule object), or null when it uses an operator left to the interpreter. */
export function compiledAudience(rule: AudienceRule): CompiledAudience | null {
  if (rule === null || typeof rule !== "object") return null;
  let fn = compiled.get(rule);
  if (fn === undefined) compiled.set(rule, (fn = compile(rule)));
  return fn;
}

function compile(node: unknown): Node | null {
  if (node === null || typeof node !== "object") return () => node;
  if (Array.isArray(node)) {
    const items = node.map(compile);
    if (items.some((i) => i === null)) return null;
    const list = items as Node[];
    return (c, e) => list.map((f) => f(c, e));
  }
  const keys = Object.keys(node);
  if (keys.length !== 1) return null;
  const op = keys[0] as string;
  const raw = (node as Record<string, unknown>)[op];
  const args = (Array.isArray(raw) ? raw : [raw]).map(compile);
  if (args.some((a) => a === null)) return null;
  const [a, b, c] = args as Node[];
  const none: Node = () => undefined;
  const x = a ?? none;
  const y = b ?? none;
  switch (op) {
    case "var":
      return variable(Array.isArray(raw) ? raw : [raw], x, y);
    case "==":
      return (ctx, e) => x(ctx, e) == y(ctx, e);
    case "===":
      return (ctx, e) => x(ctx, e) === y(ctx, e);
    case "!=":
      return (ctx, e) => x(ctx, e) != y(ctx, e);
    case "!==":
      return (ctx, e) => x(ctx, e) !== y(ctx, e);
    case "!":
      return (ctx, e) => !truthy(x(ctx, e));
    case "!!":
      return (ctx, e) => truthy(x(ctx, e));
    case ">":
      return (ctx, e) => (x(ctx, e) as number) > (y(ctx, e) as number);
    case ">=":
      return (ctx, e) => (x(ctx, e) as number) >= (y(ctx, e) as number);
    case "<":
    case "<=": {
      const z = c;
      const less = op === "<" ? (p: unknown, q: unknown) => (p as number) < (q as number) : (p: unknown, q: unknown) => (p as number) <= (q as number);
      // As json-logic-js: all three arguments are evaluated, then a between-test when there is a third.
      return z === undefined ? (ctx, e) => less(x(ctx, e), y(ctx, e)) : (ctx, e) => {
        const p = x(ctx, e);
        const q = y(ctx, e);
        const r = z(ctx, e);
        return r === undefined ? less(p, q) : less(p, q) && less(q, r);
      };
    }
    case "in":
      return (ctx, e) => {
        const needle = x(ctx, e);
        const hay = y(ctx, e) as { indexOf?: (v: unknown) => number } | null | undefined;
        return !hay || typeof hay.indexOf === "undefined" ? false : hay.indexOf(needle) !== -1;
      };
    case "and":
    case "or": {
      const list = args as Node[];
      const stopOn = op === "and" ? false : true;
      return (ctx, e) => {
        let current: unknown;
        for (const f of list) {
          current = f(ctx, e);
          if (truthy(current) === stopOn) return current;
        }
        return current;
      };
    }
    case "if":
    case "?:": {
      const list = args as Node[];
      return (ctx, e) => {
        let i = 0;
        for (; i < list.length - 1; i += 2) if (truthy((list[i] as Node)(ctx, e))) return (list[i + 1] as Node)(ctx, e);
        return list.length === i + 1 ? (list[i] as Node)(ctx, e) : null;
      };
    }
    case "starts_with":
      return (ctx, e) => {
        const v = x(ctx, e);
        const p = y(ctx, e);
        return typeof v === "string" && typeof p === "string" && v.startsWith(p);
      };
    case "ends_with":
      return (ctx, e) => {
        const v = x(ctx, e);
        const s = y(ctx, e);
        return typeof v === "string" && typeof s === "string" && v.endsWith(s);
      };
    default:
      return null;
  }
}

/**
 * `var`: a literal dotted path read from the context (`$evolvd.*` from evolvd's variables), with
 * json-logic-js's rules — null or undefined on the way gives the default (or null). A computed
 * or empty path (the whole data) is left to the interpreter.
 */
function variable(raw: readonly unknown[], _path: Node, fallback: Node): Node | null {
  const path = raw[0];
  if (typeof path !== "string" && typeof path !== "number") return null;
  if (path === "") return null;
  const segments = String(path).split(".");
  const hasDefault = raw.length > 1;
  if (segments[0] === "$evolvd") {
    if (segments.length !== 2) return null;
    const key = segments[1] as string;
    return (ctx, e) => {
      const value = e(key);
      return value === undefined ? (hasDefault ? (fallback(ctx, e) ?? null) : null) : value;
    };
  }
  return (ctx, e) => {
    let data: unknown = ctx;
    for (const segment of segments) {
      if (data === null || data === undefined) return hasDefault ? (fallback(ctx, e) ?? null) : null;
      data = (data as Record<string, unknown>)[segment];
      if (data === undefined) return hasDefault ? (fallback(ctx, e) ?? null) : null;
    }
    return data;
  };
}
