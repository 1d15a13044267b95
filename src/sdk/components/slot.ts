import type { CompiledModule } from "./wasm-api.js";
import { ComponentInstance } from "./instance.js";
import type { WitWorld } from "./wit.js";

/** What one swap did (the example prints one per step). */
export interface SwapReport {
  readonly component: string;
  readonly from: string | null;
  readonly to: string;
  /** The new version started from the old one's state, byte for byte (false after a revert, or with nothing to carry). */
  readonly statePreserved: boolean;
  /** The swap failed and the previous version stayed active, with its state. */
  readonly reverted: boolean;
  /** Where it failed: loading the module, instantiating it, or initializing it with the state. */
  readonly failedAt?: "load" | "instantiate" | "initialize";
  readonly error?: string;
  readonly ms: number;
}

export type SwapListener = (report: SwapReport, active: ComponentInstance | null) => void;

/**
 * One component's active version, swapped at run time: load the new module → instantiate it →
 * capture the running version's state → initialize the new one with it → make it active → tell
 * the listeners. Capture, initialize and activation run without a pause (instantiation, which
 * awaits, comes first), so calls made while a swap is under way all land in the state carried
 * over. A failure at any step leaves the previous version active with its state untouched
 * (capture only reads it), and the report says where it failed. Swaps run one after another, in
 * the order asked.
 */
export class ComponentSlot {
  private current: ComponentInstance | null = null;
  private readonly listeners = new Set<SwapListener>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly component: string,
    private readonly world: WitWorld,
    private readonly now: () => number,
  ) {}

  get active(): ComponentInstance | null {
    return this.current;
  }

  /** Listens to every swap, done or reverted; returns the unsubscribe. */
  onSwap(listener: SwapListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls `name` on the active version (throws without one, or on a trap). */
  call(name: string, ...args: unknown[]): unknown {
    if (!this.current) throw new Error(`component "${this.component}" has no active version`);
    return this.current.call(name, args);
  }

  /** Swaps to `version`, whose compiled module `load` gives; resolves with the report (never rejects). */
  swap(version: string, load: () => Promise<CompiledModule>): Promise<SwapReport> {
    const run = this.queue.then(() => this.swapNow(version, load));
    this.queue = run;
    return run;
  }

  private async swapNow(version: string, load: () => Promise<CompiledModule>): Promise<SwapReport> {
    const started = this.now();
    const from = this.current?.version ?? null;
    const report = (r: Omit<SwapReport, "component" | "from" | "to" | "ms">): SwapReport => {
      const done: SwapReport = { component: this.component, from, to: version, ...r, ms: this.now() - started };
      for (const listener of this.listeners) {
        try {
          listener(done, this.current);
        } catch {
          // A listener's failure is its own: the swap is done (or reverted) either way.
        }
      }
      return done;
    };
    if (from === version) return report({ statePreserved: true, reverted: false });
    let module: CompiledModule;
    try {
      module = await load();
    } catch (error) {
      return report({ statePreserved: false, reverted: true, failedAt: "load", error: message(error) });
    }
    let next: ComponentInstance;
    try {
      next = await ComponentInstance.create(version, module, this.world);
    } catch (error) {
      return report({ statePreserved: false, reverted: true, failedAt: "instantiate", error: message(error) });
    }
    // From capture to activation nothing awaits: no call can reach the old version in between,
    // so no update it makes is lost (the old version is frozen by not being called again).
    const state = this.current ? this.current.capture() : new Uint8Array(0);
    let preserved: boolean;
    try {
      next.initialize(state);
      // Preserved means the new version holds exactly the state it was given.
      preserved = state.length > 0 && sameBytes(next.capture(), state);
    } catch (error) {
      return report({ statePreserved: false, reverted: true, failedAt: "initialize", error: message(error) });
    }
    this.current = next;
    return report({ statePreserved: preserved, reverted: false });
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));
