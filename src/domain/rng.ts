/**
 * Every random choice in evolvd goes through an Rng handed in from outside, so that the same
 * seed gives the same candidates, the same simulated traffic and the same bytes of output.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal draw. */
  normal(): number;
  /**
   * An independent stream derived from this one's seed and `label` only (not from how many
   * numbers were drawn so far), so adding a draw in one place never shifts another stream.
   */
  fork(label: string): Rng;
  /** The seed string this stream was made from (recorded in version lineage). */
  readonly seed: string;
}
