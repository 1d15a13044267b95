/** Most units remembered per experiment; beyond, the memory starts over (their exposures are sent again, harmlessly). */
export const MAX_REMEMBERED = 200_000;
const INITIAL_SLOTS = 1 << 12;
/** The low byte of a slot's second word holds the version code; the rest is fingerprint. */
const CODE = 0xff;

/**
 * The SDK's memory of one live experiment's units: for each unit (by its fingerprint,
 * assign/hash.ts FINGERPRINT) the version it was last exposed to — so an exposure is sent once
 * per unit and arm, and an outcome names the arm. An open-addressing table of two 32-bit words
 * per slot — the fingerprint's first half, then its second half's upper 24 bits with the
 * version's code in the low byte (0: empty) — doubled at half load: one probe into one cache
 * line, where a Map of unit strings costs a hash-table walk and a string comparison per call.
 * Two units share a 56-bit fingerprint with probability 2^-56 (about 3 in 10 million for
 * 200,000 units: the second would not send its exposure).
 */
export class UnitMemory {
  private slots = new Int32Array(2 * INITIAL_SLOTS);
  private mask = INITIAL_SLOTS - 1;
  private count = 0;
  /** The versions units were exposed to (an experiment's arms and the segments' own baselines), by code - 1. */
  private readonly versions: string[] = [];

  constructor(readonly experiment: string) {}

  get size(): number {
    return this.count;
  }

  /** Records that the unit of fingerprint (a, b) was exposed to `version`; whether that is news (a new unit, or another version). */
  remember(a: number, b: number, version: string): boolean {
    let index = this.versions.indexOf(version);
    if (index < 0) {
      // More distinct versions than a byte holds cannot happen in one experiment (≤ 16 arms plus segments); start over if it does.
      if (this.versions.length >= CODE) this.clear();
      index = this.versions.push(version) - 1;
    }
    const code = index + 1;
    const high = b & ~CODE;
    const slot = this.slotOf(a, high);
    const slots = this.slots;
    const word = slots[2 * slot + 1] as number;
    if ((word & CODE) === code) return false;
    if ((word & CODE) === 0) {
      if (this.count >= MAX_REMEMBERED) {
        this.clear();
        return this.remember(a, b, version);
      }
      slots[2 * slot] = a;
      this.count++;
    }
    slots[2 * slot + 1] = high | code;
    if (2 * this.count > this.mask + 1) this.grow();
    return true;
  }

  /** The version the unit of fingerprint (a, b) was last exposed to, if remembered. */
  versionOf(a: number, b: number): string | undefined {
    const code = (this.slots[2 * this.slotOf(a, b & ~CODE) + 1] as number) & CODE;
    return code === 0 ? undefined : this.versions[code - 1];
  }

  /** The unit's slot, or the empty slot where it goes. */
  private slotOf(a: number, high: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let slot = (a ^ Math.imul(high, 0x9e3779b1)) & mask;
    for (;;) {
      const word = slots[2 * slot + 1] as number;
      if ((word & CODE) === 0 || (slots[2 * slot] === a && (word & ~CODE) === high)) return slot;
      slot = (slot + 1) & mask;
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    this.mask = old.length - 1;
    for (let s = 0; s < old.length; s += 2) {
      const word = old[s + 1] as number;
      if ((word & CODE) === 0) continue;
      const slot = this.slotOf(old[s] as number, word & ~CODE);
      this.slots[2 * slot] = old[s] as number;
      this.slots[2 * slot + 1] = word;
    }
  }

  private clear(): void {
    this.slots = new Int32Array(2 * INITIAL_SLOTS);
    this.mask = INITIAL_SLOTS - 1;
    this.count = 0;
    this.versions.length = 0;
  }
}
