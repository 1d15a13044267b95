import { coreSignature, exportName } from "./abi.js";
import { moduleShape, type ModuleShape } from "./wasm-binary.js";
import type { WitWorld } from "./wit.js";

const show = (s: { params: readonly string[]; results: readonly string[] }): string => `(${s.params.join(", ")}) -> (${s.results.join(", ")})`;

/**
 * Why `bytes` is not a version of a component of `world`, or [] when it is: the module must be
 * a core WebAssembly module exporting every function of the world under its canonical ABI name
 * with its canonical core signature, a memory, and `cabi_realloc` (so the host can hand it a
 * state), and must import nothing (a component runs sandboxed: it reaches nothing but its inputs).
 */
export function interfaceProblems(bytes: Uint8Array, world: WitWorld): string[] {
  let shape: ModuleShape;
  try {
    shape = moduleShape(bytes);
  } catch (error) {
    return [(error as Error).message];
  }
  const problems: string[] = [];
  for (const i of shape.imports) problems.push(`imports ${i.module}.${i.name} (a ${i.kind}): a component may import nothing`);
  if (shape.exports.get("memory")?.kind !== "memory") problems.push(`exports no memory named "memory"`);
  const realloc = shape.exports.get("cabi_realloc");
  if (realloc?.kind !== "function" || realloc.signature.params.join() !== "i32,i32,i32,i32" || realloc.signature.results.join() !== "i32") problems.push(`exports no cabi_realloc: (i32, i32, i32, i32) -> i32`);
  for (const iface of world.exports) {
    for (const fn of iface.functions) {
      const name = exportName(iface, fn);
      const expected = coreSignature(fn);
      const found = shape.exports.get(name);
      if (!found) problems.push(`exports no "${name}" (${iface.name}.${fn.name})`);
      else if (found.kind !== "function") problems.push(`"${name}" is a ${found.kind}, not a function`);
      else if (show(found.signature) !== show(expected)) problems.push(`"${name}" is ${show(found.signature)}; the interface's ${fn.name} lowers to ${show(expected)}`);
    }
  }
  return problems;
}
