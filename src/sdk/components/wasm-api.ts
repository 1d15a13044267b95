/**
 * The WebAssembly JS API the components use, typed here: the project compiles without the DOM
 * library, and Node's types only sketch the global. Node 20 and browsers have all of it.
 */
export interface CompiledModule {
  readonly __compiled: unique symbol;
}
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

interface WebAssemblyApi {
  /** Compiles off the calling thread (V8 compiles in the background). */
  compile(bytes: Uint8Array): Promise<CompiledModule>;
  instantiate(module: CompiledModule, imports: object): Promise<WasmInstance>;
  /** From bytes: compiles and instantiates (a stage's module, sdk/stages.ts). */
  instantiate(bytes: Uint8Array): Promise<{ instance: WasmInstance }>;
}

export const wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** The browser's Cache API, as loader.ts uses it. */
export interface CacheApi {
  open(name: string): Promise<{ match(key: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer> } | undefined>; put(key: string, response: Response): Promise<void> }>;
}
