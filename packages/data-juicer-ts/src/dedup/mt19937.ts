// MT19937 as numpy's legacy RandomState uses it, and RandomState.randint(low, high, dtype=uint64) on top of it
// (masked rejection sampling over 64-bit draws made of two 32-bit outputs, high word first). Data-Juicer's minhash
// draws its permutation parameters this way from RandomState(42).

export class MT19937 {
  private readonly mt = new Uint32Array(624);
  private index = 624;

  /** init_genrand(seed): numpy's RandomState(int seed). */
  constructor(seed: number) {
    this.mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = this.mt[i - 1]! ^ (this.mt[i - 1]! >>> 30);
      // 1812433253 * prev + i, in 32-bit arithmetic
      this.mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < 624; i++) {
      const y = (mt[i]! & 0x80000000) | (mt[(i + 1) % 624]! & 0x7fffffff);
      let v = mt[(i + 397) % 624]! ^ (y >>> 1);
      if (y & 1) v ^= 0x9908b0df;
      mt[i] = v >>> 0;
    }
    this.index = 0;
  }

  nextUint32(): number {
    if (this.index >= 624) this.twist();
    let y = this.mt[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  nextUint64(): bigint {
    const hi = BigInt(this.nextUint32());
    const lo = BigInt(this.nextUint32());
    return (hi << 32n) | lo;
  }

  /** numpy RandomState.randint(low, high, dtype=np.uint64) for a range wider than 32 bits. */
  randintUint64(low: bigint, high: bigint): bigint {
    const rng = high - 1n - low;
    if (rng <= 0xffffffffn) throw new RangeError('only ranges wider than 32 bits are implemented');
    let mask = rng;
    for (const s of [1n, 2n, 4n, 8n, 16n, 32n]) mask |= mask >> s;
    for (;;) {
      const v = this.nextUint64() & mask;
      if (v <= rng) return low + v;
    }
  }
}
