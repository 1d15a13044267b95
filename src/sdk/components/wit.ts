/**
 * The part of WIT (the WebAssembly component model's IDL) a component's interface is written
 * in: a package, interfaces of functions over numbers, booleans and byte lists, and a world
 * exporting them (docs/components.md). Anything else is refused with where and why, so an
 * interface never means less than it says.
 */

/** The value types a component function may take or return. */
export type WitType = "bool" | "u8" | "u16" | "u32" | "u64" | "s8" | "s16" | "s32" | "s64" | "f32" | "f64" | "list<u8>";
const TYPES: ReadonlySet<string> = new Set(["bool", "u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64", "f32", "f64", "list<u8>"]);

export interface WitFunction {
  readonly name: string;
  readonly params: readonly { readonly name: string; readonly type: WitType }[];
  readonly result: WitType | null;
}

export interface WitInterface {
  readonly name: string;
  /** The name its functions are exported under: `<namespace>:<package>/<interface>@<version>`. */
  readonly qualified: string;
  readonly functions: readonly WitFunction[];
}

export interface WitWorld {
  readonly package: string;
  readonly name: string;
  readonly exports: readonly WitInterface[];
}

/** A WIT text that cannot be read, with the line and what was expected. */
export class WitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WitError";
  }
}

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const PACKAGE = /^[a-z][a-z0-9-]*:[a-z][a-z0-9-]*(@\d+\.\d+\.\d+)?$/;

/** Tokens with their line: identifiers (kebab-case, `ns:pkg@1.2.3`), `list<u8>` joined, punctuation. */
function tokenize(text: string): { value: string; line: number }[] {
  const tokens: { value: string; line: number }[] = [];
  const source = text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, " "));
  source.split("\n").forEach((raw, i) => {
    const line = raw.replace(/\/\/.*$/, "");
    for (const m of line.matchAll(/list\s*<\s*[a-z0-9]+\s*>|->|[a-z0-9%-]+(?::[a-z][a-z0-9-]*)?(?:@\d+\.\d+\.\d+)?|[{}();:,<>]|\S/gi)) tokens.push({ value: m[0].replace(/\s+/g, ""), line: i + 1 });
  });
  return tokens;
}

/** Parses `text` and returns its world `world` (the only one when not named). */
export function parseWit(text: string, world?: string): WitWorld {
  const tokens = tokenize(text);
  let at = 0;
  const peek = () => tokens[at]?.value;
  const where = () => `line ${tokens[Math.min(at, tokens.length - 1)]?.line ?? 1}`;
  const next = (what: string): string => {
    const t = tokens[at++];
    if (!t) throw new WitError(`WIT: ended where ${what} was expected`);
    return t.value;
  };
  const expect = (value: string): void => {
    const line = where();
    const got = next(`"${value}"`);
    if (got !== value) throw new WitError(`WIT ${line}: expected "${value}", found "${got}"`);
  };
  const name = (what: string): string => {
    const line = where();
    const got = next(what);
    if (!NAME.test(got)) throw new WitError(`WIT ${line}: ${what} "${got}" is not a kebab-case name`);
    return got;
  };
  const type = (): WitType => {
    const line = where();
    const got = next("a type");
    if (!TYPES.has(got)) throw new WitError(`WIT ${line}: type "${got}" is not one a component may use here (${[...TYPES].join(", ")})`);
    return got as WitType;
  };

  expect("package");
  const line = where();
  const pkg = next("a package name");
  if (!PACKAGE.test(pkg)) throw new WitError(`WIT ${line}: package "${pkg}" is not namespace:name@x.y.z`);
  expect(";");
  const [base, version] = pkg.split("@") as [string, string | undefined];
  const interfaces = new Map<string, WitInterface>();
  const worlds = new Map<string, WitInterface[]>();
  while (at < tokens.length) {
    const line = where();
    const keyword = next("interface or world");
    if (keyword === "interface") {
      const id = name("an interface name");
      if (interfaces.has(id)) throw new WitError(`WIT ${line}: interface "${id}" is declared twice`);
      expect("{");
      const functions: WitFunction[] = [];
      while (peek() !== "}") {
        const fn = name("a function name");
        if (functions.some((f) => f.name === fn)) throw new WitError(`WIT ${where()}: function "${fn}" is declared twice in "${id}"`);
        expect(":");
        expect("func");
        expect("(");
        const params: { name: string; type: WitType }[] = [];
        while (peek() !== ")") {
          const param = name("a parameter name");
          expect(":");
          params.push({ name: param, type: type() });
          if (peek() === ",") at++;
        }
        expect(")");
        let result: WitType | null = null;
        if (peek() === "->") {
          at++;
          result = type();
        }
        expect(";");
        functions.push({ name: fn, params, result });
      }
      expect("}");
      interfaces.set(id, { name: id, qualified: `${base}/${id}${version ? `@${version}` : ""}`, functions });
    } else if (keyword === "world") {
      const id = name("a world name");
      expect("{");
      const exported: WitInterface[] = [];
      while (peek() !== "}") {
        const line = where();
        const direction = next("export");
        if (direction !== "export") throw new WitError(`WIT ${line}: a component world only exports (found "${direction}"): a component has no imports, so it cannot reach outside its sandbox`);
        const ref = name("an interface name");
        const found = interfaces.get(ref);
        if (!found) throw new WitError(`WIT ${line}: world "${id}" exports "${ref}", which is not declared above it`);
        exported.push(found);
        expect(";");
      }
      expect("}");
      worlds.set(id, exported);
    } else throw new WitError(`WIT ${line}: expected "interface" or "world", found "${keyword}"`);
  }
  const chosen = world ?? (worlds.size === 1 ? [...worlds.keys()][0] : undefined);
  if (chosen === undefined) throw new WitError(worlds.size === 0 ? "WIT: no world is declared" : `WIT: several worlds (${[...worlds.keys()].join(", ")}): name one`);
  const exports = worlds.get(chosen);
  if (!exports) throw new WitError(`WIT: no world "${chosen}"`);
  checkStateInterface(exports, chosen);
  return { package: pkg, name: chosen, exports };
}

/** Every component world exports `state` with capture and initialize, so a swap can carry the state. */
function checkStateInterface(exports: readonly WitInterface[], world: string): void {
  const state = exports.find((i) => i.name === "state");
  const capture = state?.functions.find((f) => f.name === "capture");
  const initialize = state?.functions.find((f) => f.name === "initialize");
  const ok = capture && capture.params.length === 0 && capture.result === "list<u8>" && initialize && initialize.params.length === 1 && initialize.params[0]?.type === "list<u8>" && initialize.result === null;
  if (!ok) throw new WitError(`WIT: world "${world}" must export an interface "state" with capture: func() -> list<u8> and initialize: func(state: list<u8>)`);
}
