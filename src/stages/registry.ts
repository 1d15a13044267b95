/**
 * The daemon's view of the pipeline stages its SDKs run (docs/stages.md). Every SDK reports its
 * registry — stage ids, versions (the SHA-256 of the code), input/output schemas, mutability —
 * and the targets it syncs, on start, on every register and every `reportMs`. A stage version
 * may be proposed for a target once *every* live SDK syncing that target reports it: a unit
 * routed to a version its SDK lacks would run the baseline, and the experiment would measure
 * nothing. An SDK silent for `ttlMs` no longer counts.
 */

/** One version of a stage, as an SDK reports it. */
export interface ReportedVersion {
  readonly version: string;
  readonly input: unknown;
  readonly output: unknown;
}

export interface ReportedStage {
  readonly id: string;
  readonly mutable: boolean;
  readonly versions: readonly ReportedVersion[];
}

/** A count of units that were assigned a version their SDK lacks (they ran the baseline's). */
export interface MissingCount {
  readonly target: string;
  readonly stage: string;
  readonly version: string;
  readonly count: number;
}

/** What `POST /v1/sdk/registry` carries. */
export interface RegistryReport {
  /** The SDK instance (a random id per client). */
  readonly sdk: string;
  /** The targets it syncs; null: every target. */
  readonly targets: readonly string[] | null;
  readonly stages: readonly ReportedStage[];
  /** stage_missing counts since its last report. */
  readonly missing?: readonly MissingCount[];
  /** The client is closing: forget it at once. */
  readonly closing?: boolean;
}

/** A stage version as the registry lists it: who reports it, and whether the reports agree. */
export interface StageVersionView {
  readonly version: string;
  readonly input: unknown;
  readonly output: unknown;
  /** SDK instances reporting it. */
  readonly sdks: number;
  /** Two SDKs report different schemas or mutability for the same code: never proposed. */
  readonly conflict: boolean;
}

export interface StageView {
  readonly id: string;
  readonly mutable: boolean;
  readonly versions: readonly StageVersionView[];
}

interface Instance {
  readonly report: RegistryReport;
  readonly at: number;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

export class StageRegistry {
  private readonly instances = new Map<string, Instance>();

  /** @param onMissing told of every stage_missing count reported (a metric). */
  constructor(
    private readonly ttlMs = 45_000,
    private readonly onMissing: (m: MissingCount) => void = () => {},
  ) {}

  report(report: RegistryReport, now: number): void {
    for (const m of report.missing ?? []) if (m.count > 0) this.onMissing(m);
    if (report.closing) this.instances.delete(report.sdk);
    else this.instances.set(report.sdk, { report, at: now });
  }

  /** SDK instances heard from within ttlMs (older ones are forgotten here). */
  live(now: number): RegistryReport[] {
    const out: RegistryReport[] = [];
    for (const [id, instance] of this.instances) {
      if (now - instance.at > this.ttlMs) this.instances.delete(id);
      else out.push(instance.report);
    }
    return out;
  }

  /**
   * The versions of `stage` that may be candidates of `target`: reported by every live SDK
   * syncing the target, the same way by all (schemas, mutability). Sorted, so a generation's
   * draw does not depend on the order reports came in. None while no SDK syncs the target.
   */
  available(stage: string, target: string, now: number): string[] {
    const syncing = this.live(now).filter((r) => r.targets === null || r.targets.includes(target));
    if (syncing.length === 0) return [];
    const view = this.view(stage, syncing);
    if (!view) return [];
    return view.versions.filter((v) => !v.conflict && v.sdks === syncing.length).map((v) => v.version);
  }

  /** Every stage some live SDK reports, with its versions. */
  stages(now: number): StageView[] {
    const live = this.live(now);
    const ids = [...new Set(live.flatMap((r) => r.stages.map((s) => s.id)))].sort();
    return ids.flatMap((id) => this.view(id, live) ?? []);
  }

  private view(stage: string, reports: readonly RegistryReport[]): StageView | null {
    const versions = new Map<string, { input: unknown; output: unknown; mutable: boolean; sdks: number; conflict: boolean }>();
    let mutable: boolean | null = null;
    for (const report of reports) {
      const s = report.stages.find((x) => x.id === stage);
      if (!s) continue;
      mutable ??= s.mutable;
      for (const v of s.versions) {
        const seen = versions.get(v.version);
        if (!seen) versions.set(v.version, { input: v.input, output: v.output, mutable: s.mutable, sdks: 1, conflict: false });
        else versions.set(v.version, { ...seen, sdks: seen.sdks + 1, conflict: seen.conflict || !same(seen.input, v.input) || !same(seen.output, v.output) || seen.mutable !== s.mutable });
      }
    }
    if (mutable === null) return null;
    const list = [...versions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([version, v]) => ({ version, input: v.input, output: v.output, sdks: v.sdks, conflict: v.conflict }));
    return { id: stage, mutable, versions: list };
  }
}
