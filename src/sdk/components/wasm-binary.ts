/**
 * What a WebAssembly module declares, read off its bytes: its imports and its exports with
 * their function signatures. WebAssembly.Module.exports names an export's kind but not its
 * type, and the interface check (check.ts) needs the type.
 */

export type ValueType = "i32" | "i64" | "f32" | "f64" | "v128" | "funcref" | "externref";
export interface Signature {
  readonly params: readonly ValueType[];
  readonly results: readonly ValueType[];
}
export interface ModuleShape {
  readonly imports: readonly { readonly module: string; readonly name: string; readonly kind: string }[];
  /** Exports by name: a function's signature, or the kind of anything else. */
  readonly exports: ReadonlyMap<string, { readonly kind: "function"; readonly signature: Signature } | { readonly kind: "memory" | "table" | "global" | "tag" }>;
}

const VALUE_TYPES: Record<number, ValueType> = { 0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64", 0x7b: "v128", 0x70: "funcref", 0x6f: "externref" };
const KINDS = ["function", "table", "memory", "global", "tag"] as const;

/** A module's bytes that do not read as one. */
export class ModuleFormatError extends Error {}

class Reader {
  at = 0;
  constructor(private readonly bytes: Uint8Array) {}
  byte(): number {
    if (this.at >= this.bytes.length) throw new ModuleFormatError(`the module ends at byte ${this.at}, inside a section`);
    return this.bytes[this.at++] as number;
  }
  u32(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
    }
    throw new ModuleFormatError(`a malformed number at byte ${this.at}`);
  }
  name(): string {
    const length = this.u32();
    const text = new TextDecoder().decode(this.bytes.subarray(this.at, this.at + length));
    this.at += length;
    return text;
  }
  value(): ValueType {
    const code = this.byte();
    const type = VALUE_TYPES[code];
    if (!type) throw new ModuleFormatError(`an unknown value type 0x${code.toString(16)} at byte ${this.at - 1}`);
    return type;
  }
  /** Skips an import's description (its kind's fields) and returns the kind. */
  skipDescription(kind: number): void {
    if (kind === 0) this.u32();
    else if (kind === 1) {
      this.byte();
      this.limits();
    } else if (kind === 2) this.limits();
    else if (kind === 3) {
      this.byte();
      this.byte();
    } else if (kind === 4) {
      this.byte();
      this.u32();
    } else throw new ModuleFormatError(`an unknown import kind ${kind}`);
  }
  private limits(): void {
    const flags = this.byte();
    this.u32();
    if (flags & 1) this.u32();
  }
}

/** Reads the shape of a module (magic, version, type, import, function and export sections). */
export function moduleShape(bytes: Uint8Array): ModuleShape {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) throw new ModuleFormatError("not a WebAssembly module (no \\0asm header)");
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) throw new ModuleFormatError("not a core WebAssembly module of version 1 (a component-model component must be given as its core module)");
  const types: Signature[] = [];
  const imports: { module: string; name: string; kind: string }[] = [];
  const functions: number[] = [];
  const exports = new Map<string, { kind: "function"; signature: Signature } | { kind: "memory" | "table" | "global" | "tag" }>();
  let importedFunctions = 0;
  const exported: { name: string; kind: number; index: number }[] = [];
  const r = new Reader(bytes);
  r.at = 8;
  while (r.at < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    const end = r.at + size;
    if (end > bytes.length) throw new ModuleFormatError(`section ${id} runs past the end of the module`);
    if (id === 1) {
      for (let n = r.u32(); n > 0; n--) {
        if (r.byte() !== 0x60) throw new ModuleFormatError("a type that is not a function type");
        const params = Array.from({ length: r.u32() }, () => r.value());
        const results = Array.from({ length: r.u32() }, () => r.value());
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = r.u32(); n > 0; n--) {
        const module = r.name();
        const name = r.name();
        const kind = r.byte();
        if (kind === 0) importedFunctions++;
        r.skipDescription(kind);
        imports.push({ module, name, kind: KINDS[kind] ?? String(kind) });
      }
    } else if (id === 3) {
      for (let n = r.u32(); n > 0; n--) functions.push(r.u32());
    } else if (id === 7) {
      for (let n = r.u32(); n > 0; n--) exported.push({ name: r.name(), kind: r.byte(), index: r.u32() });
    }
    r.at = end;
  }
  for (const e of exported) {
    if (e.kind !== 0) {
      exports.set(e.name, { kind: (KINDS[e.kind] ?? "tag") as "memory" });
      continue;
    }
    // Imported functions come first in the function index space; an exported import has no body here.
    const type = e.index >= importedFunctions ? types[functions[e.index - importedFunctions] as number] : undefined;
    exports.set(e.name, { kind: "function", signature: type ?? { params: [], results: [] } });
  }
  return { imports, exports };
}
