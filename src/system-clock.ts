import type { Clock } from "./domain/clock.js";

/** The one wall-clock read in evolvd, handed to live code from the composition root. */
export const systemClock: Clock = { now: () => Date.now() };
