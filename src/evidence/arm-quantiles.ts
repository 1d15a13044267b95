import type { QuantileReading } from "../domain/snapshot.js";
import { QuantileSketch } from "./quantile-sketch.js";
import type { MetricPlan } from "./unit-metrics.js";

/**
 * The quantile metrics of one experiment: a sketch per arm and quantile metric, fed with every
 * outcome value of the raw KPI the metric reads, the unit's random group taken from its key.
 * Pooled over allocation periods (a quantile does not split into strata as sums do).
 */
export class ArmQuantiles {
  /** [arm][j]: the sketch of plan.quantiles[j]. */
  private readonly sketches: QuantileSketch[][];
  /** For each raw KPI, the j of the quantile metrics that read it. */
  private readonly readers: number[][];

  constructor(
    arms: number,
    private readonly plan: MetricPlan,
  ) {
    this.sketches = Array.from({ length: arms }, () => plan.quantiles.map(() => new QuantileSketch()));
    this.readers = plan.raw.map((_, r) => plan.quantiles.flatMap((m, j) => (plan.metrics[m]?.raw === r ? [j] : [])));
  }

  get any(): boolean {
    return this.plan.quantiles.length > 0;
  }

  /** An outcome value of raw KPI `r` in `arm`, from a unit whose key's low half is `group`. */
  observe(arm: number, r: number, x: number, group: number): void {
    const readers = this.readers[r] as number[];
    for (let i = 0; i < readers.length; i++) (this.sketches[arm]?.[readers[i] as number] as QuantileSketch).add(x, group);
  }

  /** Every arm's reading of every quantile metric (null before the arm has outcomes). */
  readings(): Record<string, QuantileReading | null>[] {
    return this.sketches.map((arm) => Object.fromEntries(this.plan.quantiles.map((m, j) => {
      const metric = this.plan.metrics[m];
      return [metric?.name as string, (arm[j] as QuantileSketch).read(metric?.quantile as number)];
    })));
  }

  /** Plain data for a checkpoint, per arm and metric name. */
  encode(): Record<string, number[][]>[] {
    return this.sketches.map((arm) => Object.fromEntries(this.plan.quantiles.map((m, j) => [this.plan.metrics[m]?.name as string, (arm[j] as QuantileSketch).encode()])));
  }

  /** Takes what a checkpoint recorded (metrics it does not name start empty). */
  restore(data: unknown): void {
    if (!Array.isArray(data)) return;
    this.sketches.forEach((arm, a) => {
      const recorded = data[a] as Record<string, unknown> | undefined;
      if (recorded === null || typeof recorded !== "object") return;
      this.plan.quantiles.forEach((m, j) => {
        const name = this.plan.metrics[m]?.name as string;
        if (Object.hasOwn(recorded, name)) arm[j] = QuantileSketch.decode(recorded[name]);
      });
    });
  }
}
