import type { StageSet } from "./stages.js";

/** What the reporter sends: the stages and components this SDK can run. */
export type ReportSource = Pick<StageSet, "report">;

/**
 * Reports this SDK's stage registry to the daemon (`POST /v1/sdk/registry`, docs/stages.md): at
 * once when a version becomes runnable, every `reportMs`, and at close (so the daemon stops
 * waiting on it), with the stage_missing counts since the last report. A failed report keeps
 * its counts for the next one.
 */
export class RegistryReporter {
  private counts = new Map<string, { target: string; stage: string; version: string; count: number }>();
  private queued = false;
  missingTotal = 0;

  constructor(
    private readonly instanceId: string,
    private readonly stages: ReportSource,
    private readonly targets: readonly string[] | null,
    private readonly post: (body: string) => Promise<void>,
    private readonly onError: (error: Error) => void,
  ) {}

  /** A unit was assigned `version`, which this SDK lacks. */
  missing(target: string, stage: string, version: string): void {
    const key = `${target}\n${stage}\n${version}`;
    const seen = this.counts.get(key);
    if (seen) seen.count++;
    else this.counts.set(key, { target, stage, version, count: 1 });
    this.missingTotal++;
  }

  /** A report soon (once per turn of the event loop, however many registrations). */
  queue(): void {
    if (this.queued) return;
    this.queued = true;
    queueMicrotask(() => {
      this.queued = false;
      void this.send();
    });
  }

  /** Sends the registry; nothing while no stage is registered and nothing is counted. */
  async send(closing = false): Promise<void> {
    const stages = this.stages.report();
    if (stages.length === 0 && this.counts.size === 0) return;
    const missing = [...this.counts.values()];
    this.counts = new Map();
    const body = JSON.stringify({ sdk: this.instanceId, targets: this.targets, stages, ...(missing.length ? { missing } : {}), ...(closing ? { closing: true } : {}) });
    try {
      await this.post(body);
    } catch (error) {
      for (const m of missing) {
        const key = `${m.target}\n${m.stage}\n${m.version}`;
        const seen = this.counts.get(key);
        if (seen) seen.count += m.count;
        else this.counts.set(key, m);
      }
      this.onError(error as Error);
    }
  }
}
