/**
 * The generator of the bandit kernel and of its TypeScript twin: four xoshiro128** generators
 * whose outputs interleave round-robin (output 4k + j is generator j's k-th), seeded by
 * splitmix32 (generator j takes its 4k…4k+3-th outputs). The kernel runs the four in one SIMD
 * vector; here they step one at a time, in the same order, with 32-bit integer operations only,
 * so both produce the same stream bit for bit.
 */
export class Xoshiro128 {
  /** Generator j's words are state[4j…4j+3]. */
  private readonly state = new Uint32Array(16);
  /** Outputs are made a block at a time, as the kernel does: the fastest way in JS too. */
  private readonly buffer = new Uint32Array(BUFFERED);
  private position = BUFFERED;

  constructor(seed: number) {
    let x = seed >>> 0;
    for (let i = 0; i < 16; i++) {
      x = (x + 0x9e3779b9) >>> 0; // splitmix32
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.state[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  /** Next 32-bit output, unsigned. */
  nextU32(): number {
    if (this.position === BUFFERED) this.refill();
    return this.buffer[this.position++] as number;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  nextFloat(): number {
    return this.nextU32() * 2.3283064365386963e-10;
  }

  private refill(): void {
    const s = this.state;
    const out = this.buffer;
    for (let j = 0; j < 4; j++) {
      // Each generator fills every fourth slot: output 4k + j is generator j's k-th.
      let a = s[4 * j] as number;
      let b = s[4 * j + 1] as number;
      let c = s[4 * j + 2] as number;
      let d = s[4 * j + 3] as number;
      for (let i = j; i < BUFFERED; i += 4) {
        out[i] = Math.imul(rotl(Math.imul(b, 5), 7), 9);
        const t = b << 9;
        c ^= a;
        d ^= b;
        b ^= c;
        a ^= d;
        c ^= t;
        d = rotl(d, 11);
      }
      s[4 * j] = a;
      s[4 * j + 1] = b;
      s[4 * j + 2] = c;
      s[4 * j + 3] = d;
    }
    this.position = 0;
  }
}

const BUFFERED = 1024;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
