/** Time comes in from the composition root: the system clock live, the virtual scheduler in simulation. */
export interface Clock {
  /** Milliseconds since the epoch (virtual in simulation). */
  now(): number;
}
