import type { ValueType } from "./wasm-binary.js";
import type { WitFunction, WitInterface, WitType } from "./wit.js";

/**
 * The canonical ABI's core signature of an exported function: numbers and booleans flatten to
 * one core value each; a byte list to a (pointer, length) pair; a result of more than one core
 * value (a list) is returned as a pointer to them in the module's memory.
 */
export function coreSignature(fn: WitFunction): { params: ValueType[]; results: ValueType[] } {
  const params = fn.params.flatMap((p) => flat(p.type));
  const results = fn.result === null ? [] : flat(fn.result).length > 1 ? (["i32"] as ValueType[]) : flat(fn.result);
  return { params, results };
}

function flat(type: WitType): ValueType[] {
  switch (type) {
    case "u64":
    case "s64":
      return ["i64"];
    case "f32":
      return ["f32"];
    case "f64":
      return ["f64"];
    case "list<u8>":
      return ["i32", "i32"];
    default:
      return ["i32"];
  }
}

/** The core export name of an interface's function, as wit-bindgen names it. */
export function exportName(iface: WitInterface, fn: WitFunction): string {
  return `${iface.qualified}#${fn.name}`;
}

/** The function making a JavaScript argument into the core value a `type` parameter takes, chosen once per function. */
export function lowerer(type: WitType): (value: unknown) => number | bigint {
  switch (type) {
    case "bool":
      return (value) => (value ? 1 : 0);
    case "u64":
    case "s64":
      return (value) => BigInt(value as number | bigint);
    case "f32":
    case "f64":
      return (value) => Number(value);
    default:
      return (value) => Number(value) | 0;
  }
}

/** A core result made into the JavaScript value its WIT type says. */
export function lift(type: WitType, value: unknown): unknown {
  switch (type) {
    case "bool":
      return value !== 0;
    case "u8":
    case "u16":
    case "u32":
      return (value as number) >>> 0;
    case "u64":
      return BigInt.asUintN(64, value as bigint);
    default:
      return value;
  }
}
