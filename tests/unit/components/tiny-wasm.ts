/** Hand-made WebAssembly modules for the interface check's tests: functions returning zeros. */
type ValueType = "i32" | "i64" | "f32" | "f64";
const CODE: Record<ValueType, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c };
const ZERO: Record<ValueType, number[]> = { i32: [0x41, 0], i64: [0x42, 0], f32: [0x43, 0, 0, 0, 0], f64: [0x44, 0, 0, 0, 0, 0, 0, 0, 0] };

/** LEB128, unsigned. */
export const u32 = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const name = (s: string): number[] => {
  const bytes = [...new TextEncoder().encode(s)];
  return [...u32(bytes.length), ...bytes];
};
const section = (id: number, body: number[]): number[] => [id, ...u32(body.length), ...body];
const vec = (items: number[][]): number[] => [...u32(items.length), ...items.flat()];

export interface TinyFunction {
  readonly name: string;
  readonly params: readonly ValueType[];
  readonly results: readonly ValueType[];
}

/** A module exporting `functions` (each returns zeros, or traps when named in `traps`). */
export function tinyModule(options: { functions: readonly TinyFunction[]; imports?: readonly { module: string; name: string }[]; memory?: boolean; traps?: readonly string[] }): Uint8Array {
  const imports = options.imports ?? [];
  const types = [[0x60, 0, 0], ...options.functions.map((f) => [0x60, ...vec(f.params.map((p) => [CODE[p]])), ...vec(f.results.map((r) => [CODE[r]]))])];
  const bytes = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
  bytes.push(...section(1, vec(types)));
  if (imports.length) bytes.push(...section(2, vec(imports.map((i) => [...name(i.module), ...name(i.name), 0, 0]))));
  bytes.push(...section(3, vec(options.functions.map((_, i) => u32(i + 1)))));
  if (options.memory !== false) bytes.push(...section(5, vec([[0, 1]])));
  const exports = options.functions.map((f, i) => [...name(f.name), 0, ...u32(imports.length + i)]);
  if (options.memory !== false) exports.push([...name("memory"), 2, 0]);
  bytes.push(...section(7, vec(exports)));
  bytes.push(...section(10, vec(options.functions.map((f) => {
    // 0x00 is `unreachable`: valid whatever the results, and it traps.
    const body = options.traps?.includes(f.name) ? [0, 0x00, 0x0b] : [0, ...f.results.flatMap((r) => ZERO[r]), 0x0b];
    return [...u32(body.length), ...body];
  }))));
  return Uint8Array.from(bytes);
}

/** The recommender world's functions, as the canonical ABI lowers them (the shape check.ts wants). */
export const RECOMMENDER: readonly TinyFunction[] = [
  { name: "cabi_realloc", params: ["i32", "i32", "i32", "i32"], results: ["i32"] },
  { name: "evolvd:recommender/state@0.1.0#capture", params: [], results: ["i32"] },
  { name: "evolvd:recommender/state@0.1.0#initialize", params: ["i32", "i32"], results: [] },
  { name: "evolvd:recommender/scorer@0.1.0#score", params: ["i32", "i32"], results: ["f64"] },
  { name: "evolvd:recommender/scorer@0.1.0#observe", params: ["i32", "i32"], results: [] },
  { name: "evolvd:recommender/scorer@0.1.0#impressions", params: [], results: ["i64"] },
];
