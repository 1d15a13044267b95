import { exportName, lift, lowerer } from "./abi.js";
import { wasm, type CompiledModule, type WasmInstance, type WasmMemory } from "./wasm-api.js";
import type { WitFunction, WitType, WitWorld } from "./wit.js";

type Core = (...args: (number | bigint)[]) => unknown;
interface Exports {
  readonly memory: WasmMemory;
  readonly cabi_realloc: (old: number, oldSize: number, align: number, size: number) => number;
  readonly [name: string]: unknown;
}

/**
 * One running version of a component: a WebAssembly instance called through its world's
 * functions (arguments lowered and results lifted by the canonical ABI, abi.ts), with the
 * state functions every world has. Checked against the world at registration (check.ts), so
 * every export named here exists with its signature.
 */
export class ComponentInstance {
  private readonly exports: Exports;
  private readonly calls = new Map<string, (args: readonly unknown[]) => unknown>();

  private constructor(
    readonly version: string,
    instance: WasmInstance,
    world: WitWorld,
  ) {
    this.exports = instance.exports as unknown as Exports;
    for (const iface of world.exports) {
      if (iface.name === "state") continue;
      for (const fn of iface.functions) this.calls.set(fn.name, this.caller(this.exports[exportName(iface, fn)] as Core, fn));
    }
    const state = world.exports.find((i) => i.name === "state");
    this.captureCore = this.exports[`${state?.qualified}#capture`] as () => number;
    this.initializeCore = this.exports[`${state?.qualified}#initialize`] as (pointer: number, length: number) => void;
  }

  private readonly captureCore: () => number;
  private readonly initializeCore: (pointer: number, length: number) => void;

  /** Instantiates a compiled module (its start function runs: a trap rejects). */
  static async create(version: string, module: CompiledModule, world: WitWorld): Promise<ComponentInstance> {
    const instance = await wasm.instantiate(module, {});
    return new ComponentInstance(version, instance, world);
  }

  /** The names of the functions `call` takes (the world's, the state functions aside). */
  get functions(): string[] {
    return [...this.calls.keys()];
  }

  /** Calls function `name` of the world; throws on an unknown name or a trap. */
  call(name: string, args: readonly unknown[]): unknown {
    const call = this.calls.get(name);
    if (!call) throw new Error(`the component has no function "${name}" (it has ${this.functions.join(", ")})`);
    return call(args);
  }

  /** The serialized state (a copy: the module's memory may change or go away). */
  capture(): Uint8Array {
    const at = this.captureCore() >>> 0;
    const view = new DataView(this.exports.memory.buffer);
    const pointer = view.getUint32(at, true);
    const length = view.getUint32(at + 4, true);
    return new Uint8Array(this.exports.memory.buffer, pointer, length).slice();
  }

  /** Starts the instance from `state` (empty: fresh); throws when the module traps on it. */
  initialize(state: Uint8Array): void {
    const pointer = this.exports.cabi_realloc(0, 0, 1, state.length) >>> 0;
    new Uint8Array(this.exports.memory.buffer, pointer, state.length).set(state);
    this.initializeCore(pointer, state.length);
  }

  private caller(core: Core, fn: WitFunction): (args: readonly unknown[]) => unknown {
    const params = fn.params;
    const result = fn.result;
    // Two arguments (the common shape) without a map and an array per call: this is the hot path.
    if (params.length === 2 && params.every((p) => p.type !== "list<u8>")) {
      const a = lowerer((params[0] as { type: WitType }).type);
      const b = lowerer((params[1] as { type: WitType }).type);
      return (args) => {
        const out = core(a(args[0]), b(args[1]));
        return result === null ? undefined : lift(result, out);
      };
    }
    if (params.some((p) => p.type === "list<u8>") || result === "list<u8>") throw new Error(`function "${fn.name}": byte lists are only supported in the state interface`);
    const lowers = params.map((p) => lowerer(p.type));
    return (args) => {
      const out = core(...lowers.map((l, i) => l(args[i])));
      return result === null ? undefined : lift(result, out);
    };
  }
}
