import type { CompiledModule } from "./wasm-api.js";
import { interfaceProblems } from "./check.js";
import { ComponentLoader, moduleVersionOf, type ModuleSource, type ModuleStore } from "./loader.js";
import { parseWit, type WitWorld } from "./wit.js";

/** What an application says of a version: shown in reports, never trusted for routing. */
export interface ComponentMetadata {
  /** A name for people ("popularity"); the version id is the SHA-256 of the bytes. */
  readonly name?: string;
  readonly experimental?: boolean;
  /** Figures the team measured (calls per second, bytes, …). */
  readonly performance?: Readonly<Record<string, number>>;
}

export interface RegisteredComponent {
  readonly component: string;
  /** The SHA-256 of the module bytes, hex: a target's setting names the version by it. */
  readonly version: string;
  readonly metadata: ComponentMetadata;
  readonly bytes: number;
}

/** A refusal of the component API, with a code an application can switch on. */
export class ComponentError extends Error {
  constructor(
    readonly code: "invalid_component" | "interface_mismatch" | "unknown_component" | "unknown_version" | "unknown_target" | "unbound_component",
    message: string,
  ) {
    super(message);
    this.name = "ComponentError";
  }
}

const COMPONENT_ID = /^[a-z][a-z0-9_.-]{0,63}$/;

/**
 * Components by id, each with its interface (a WIT world) and its registered versions, checked
 * against that interface when registered: a module that does not match is refused with every
 * reason, and nothing of it is kept.
 */
export class ComponentRegistry {
  private readonly components = new Map<string, { world: WitWorld; versions: Map<string, { registered: RegisteredComponent; bytes: Uint8Array }> }>();
  readonly loader: ComponentLoader;
  /** Told when a version is registered (the SDK then reports its registry). */
  onChange: () => void = () => {};

  constructor(options: { readonly fetch?: typeof fetch; readonly store?: ModuleStore } = {}) {
    this.loader = new ComponentLoader(options);
  }

  /** Declares component `id` with its interface (WIT text; `world` names one when it declares several). */
  define(id: string, wit: string, world?: string): WitWorld {
    if (!COMPONENT_ID.test(id)) throw new ComponentError("invalid_component", `component id ${JSON.stringify(id)}: lower-case letters, digits, '_', '.' or '-', at most 64`);
    const parsed = parseWit(wit, world);
    const known = this.components.get(id);
    if (known && JSON.stringify(known.world) !== JSON.stringify(parsed)) throw new ComponentError("invalid_component", `component "${id}" is defined with another interface: an interface does not change under a component id`);
    if (!known) this.components.set(id, { world: parsed, versions: new Map() });
    return parsed;
  }

  worldOf(id: string): WitWorld {
    const found = this.components.get(id);
    if (!found) throw new ComponentError("unknown_component", `component "${id}" is not defined (components.define(id, wit) first)`);
    return found.world;
  }

  /** Registers a version of `id` from its bytes (or a URL with the version it must hash to). */
  async register(id: string, source: ModuleSource, metadata: ComponentMetadata = {}, version?: string): Promise<RegisteredComponent> {
    const world = this.worldOf(id);
    if (!(source instanceof Uint8Array) && (version === undefined || !/^[0-9a-f]{64}$/.test(version)))
      throw new ComponentError("invalid_component", `component "${id}": a version given by URL needs the SHA-256 its bytes must hash to (64 hex digits), got ${JSON.stringify(version ?? null)}`);
    // Fetched bytes are checked against `version` by the loader: they hash to it already.
    const bytes = source instanceof Uint8Array ? source : await this.loader.bytesOf(version as string, source);
    const id256 = source instanceof Uint8Array ? moduleVersionOf(bytes) : (version as string);
    const problems = interfaceProblems(bytes, world);
    if (problems.length > 0) throw new ComponentError("interface_mismatch", `component "${id}" version ${id256.slice(0, 12)} does not match world ${world.package}/${world.name}: ${problems.join("; ")}`);
    const { versions } = this.components.get(id) as { versions: Map<string, { registered: RegisteredComponent; bytes: Uint8Array }> };
    const known = versions.get(id256);
    if (known) return known.registered;
    const registered: RegisteredComponent = { component: id, version: id256, metadata: { ...metadata }, bytes: bytes.length };
    versions.set(id256, { registered, bytes });
    this.onChange();
    return registered;
  }

  /** The compiled module of a registered version (cached by its id). */
  module(id: string, version: string): Promise<CompiledModule> {
    const found = this.components.get(id)?.versions.get(version);
    if (!found) return Promise.reject(new ComponentError("unknown_version", `component "${id}" has no registered version ${version.slice(0, 12)}`));
    return this.loader.load(version, found.bytes);
  }

  has(id: string, version: string): boolean {
    return this.components.get(id)?.versions.has(version) === true;
  }

  versions(id: string): RegisteredComponent[] {
    return [...(this.components.get(id)?.versions.values() ?? [])].map((v) => v.registered);
  }

  /** The registry as the SDK reports it to the daemon: each component as a stage whose versions it can run. */
  report(): { id: string; mutable: boolean; versions: { version: string; input: null; output: null }[] }[] {
    return [...this.components].filter(([, c]) => c.versions.size > 0).map(([id, c]) => ({ id, mutable: false, versions: [...c.versions.keys()].map((version) => ({ version, input: null, output: null })) }));
  }
}
