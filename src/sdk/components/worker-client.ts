import type { ComponentMetadata, RegisteredComponent } from "./registry.js";
import type { SwapReport } from "./slot.js";
import type { WorkerAnswer, WorkerRequest } from "./worker.js";
import type { SwapTarget } from "./follow.js";

/** What the page needs of a Worker (a real one, or anything speaking its messages). */
export interface WorkerLike {
  postMessage(message: unknown, transfer?: unknown[]): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  terminate(): void;
}

type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

/**
 * The page's side of the component worker (worker.ts): a small typed API over its messages.
 * Nothing here runs a module: loading, compiling, swapping and calling happen in the worker.
 */
export class ComponentWorker {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private readonly listeners = new Set<(report: SwapReport) => void>();
  private readonly actives = new Map<string, string>();

  constructor(private readonly worker: WorkerLike) {
    worker.addEventListener("message", (event) => {
      const data = event.data as WorkerAnswer | { event: "swap"; report: SwapReport };
      if ("event" in data) {
        if (!data.report.reverted) this.actives.set(data.report.component, data.report.to);
        for (const listener of this.listeners) listener(data.report);
        return;
      }
      const waiting = this.pending.get(data.id);
      this.pending.delete(data.id);
      if (data.ok) waiting?.resolve(data.value);
      else waiting?.reject(Object.assign(new Error(data.error), data.code ? { code: data.code } : {}));
    });
  }

  private ask<T>(request: Request, transfer: unknown[] = []): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ ...request, id }, transfer);
    });
  }

  define(component: string, wit: string, world?: string): Promise<null> {
    return this.ask({ op: "define", component, wit, ...(world ? { world } : {}) });
  }

  /** Registers a version from a URL (fetched and cached in the worker; `version` is the SHA-256 it must hash to) or from bytes. */
  register(component: string, source: { url: string; version: string } | Uint8Array, metadata: ComponentMetadata = {}): Promise<RegisteredComponent> {
    if (source instanceof Uint8Array) {
      const bytes = source.slice().buffer;
      return this.ask({ op: "register", component, source: { bytes }, metadata }, [bytes]);
    }
    return this.ask({ op: "register", component, source: { url: source.url }, version: source.version, metadata });
  }

  /** Swaps the worker's active version; the report says whether it reverted and why. */
  swap(component: string, version: string): Promise<SwapReport> {
    return this.ask({ op: "swap", component, version });
  }

  call(component: string, name: string, ...args: unknown[]): Promise<unknown> {
    return this.ask({ op: "call", component, name, args });
  }

  /** The active version's state (a copy), or null without one. */
  capture(component: string): Promise<Uint8Array | null> {
    return this.ask({ op: "capture", component });
  }

  /** The version active in the worker, as its swap announcements tell. */
  active(component: string): string | null {
    return this.actives.get(component) ?? null;
  }

  onSwap(listener: (report: SwapReport) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** This worker's component as followAssignment drives it. */
  slot(component: string): SwapTarget {
    return { active: () => this.active(component), swap: (version) => this.swap(component, version) };
  }

  terminate(): void {
    this.worker.terminate();
    for (const waiting of this.pending.values()) waiting.reject(new Error("the component worker was terminated"));
    this.pending.clear();
  }
}
