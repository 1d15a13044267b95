import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { wasm, type CacheApi, type CompiledModule } from "./wasm-api.js";

/** Where module bytes persist between page loads (the Cache API in browsers: cacheStore). */
export interface ModuleStore {
  get(version: string): Promise<Uint8Array | undefined>;
  put(version: string, bytes: Uint8Array): Promise<void>;
}

/** Where a version's bytes come from: given, or fetched from a URL. */
export type ModuleSource = Uint8Array | { readonly url: string };

/** The version id of a module: the SHA-256 of its bytes, hex (the stages' version id too). */
export function moduleVersionOf(bytes: Uint8Array): string {
  return bytesToHex(sha256(bytes));
}

/**
 * Loads component modules by version, compiled once and cached in memory by that id (and in a
 * persistent store when given). WebAssembly.compile works off the calling thread; fetched or
 * stored bytes are checked against the id, so a cache or a server cannot swap the code.
 */
export class ComponentLoader {
  private readonly compiled = new Map<string, Promise<CompiledModule>>();

  constructor(private readonly options: { readonly fetch?: typeof fetch; readonly store?: ModuleStore } = {}) {}

  /** Whether `version` is compiled (or compiling) here. */
  has(version: string): boolean {
    return this.compiled.has(version);
  }

  /** The compiled module of `version`; rejects when its bytes cannot be had, do not hash to it, or do not compile. */
  load(version: string, source: ModuleSource): Promise<CompiledModule> {
    const known = this.compiled.get(version);
    if (known) return known;
    const loading = this.bytesOf(version, source).then((bytes) => wasm.compile(bytes));
    // A failed load is not cached: the next attempt tries again.
    loading.catch(() => this.compiled.delete(version));
    this.compiled.set(version, loading);
    return loading;
  }

  /** The bytes of `version`, checked against it (used by registration, before anything compiles). */
  async bytesOf(version: string, source: ModuleSource): Promise<Uint8Array> {
    if (source instanceof Uint8Array) return checked(version, source, "the given bytes");
    const stored = await this.options.store?.get(version).catch(() => undefined);
    if (stored && moduleVersionOf(stored) === version) return stored;
    const fetcher = this.options.fetch ?? globalThis.fetch.bind(globalThis);
    const response = await fetcher(source.url);
    if (!response.ok) throw new Error(`load ${source.url}: HTTP ${response.status}`);
    const bytes = checked(version, new Uint8Array(await response.arrayBuffer()), source.url);
    await this.options.store?.put(version, bytes).catch(() => {});
    return bytes;
  }
}

function checked(version: string, bytes: Uint8Array, from: string): Uint8Array {
  const actual = moduleVersionOf(bytes);
  if (actual !== version) throw new Error(`load: ${from} hash to ${actual.slice(0, 12)}, not to version ${version.slice(0, 12)}`);
  return bytes;
}

/** A ModuleStore on the browser's Cache API (null where there is none, as in Node). */
export function cacheStore(name = "evolvd-components"): ModuleStore | null {
  const caches = (globalThis as { caches?: CacheApi }).caches;
  if (!caches) return null;
  const key = (version: string) => `https://evolvd.invalid/components/${version}`;
  return {
    async get(version) {
      const found = await (await caches.open(name)).match(key(version));
      return found ? new Uint8Array(await found.arrayBuffer()) : undefined;
    },
    async put(version, bytes) {
      await (await caches.open(name)).put(key(version), new Response(bytes as unknown as ArrayBuffer, { headers: { "content-type": "application/wasm" } }));
    },
  };
}
