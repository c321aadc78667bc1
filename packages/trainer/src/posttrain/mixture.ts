// Which samples an epoch visits, and in what order: a pure function of (sizes, weights, seed, epoch), so the data
// position of a run is just {epoch, index} and a resumed run visits exactly the samples it would have.
//
// Without weights every sample is visited once per epoch. With weights, an epoch holds `epochSamples` samples
// (default: all of them), source i contributing round(epochSamples * w_i / sum(w)); each source is read as an endless
// stream of seeded permutations of its samples, so a down-weighted source shows different samples in each epoch and an
// up-weighted one repeats them. The epoch's picks are then shuffled together.

export interface MixtureOptions {
  /** Samples per source. */
  sizes: number[];
  /** Share of each source in an epoch (null: every sample once). */
  weights: number[] | null;
  /** Samples per epoch with weights (default: the sum of sizes). */
  epochSamples?: number;
  seed: number;
  /** Shuffle the epoch's picks (default true); false keeps source order (evaluation sets, curricula). */
  shuffle?: boolean;
}

/** sfc32: a small, fast, seedable generator (uniform [0, 1)). */
export function sfc32(a: number, b: number, c: number, d: number): () => number {
  return () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

function rngFor(seed: number, stream: number, n: number): () => number {
  const r = sfc32(0x9e3779b9, seed | 0, stream | 0, n | 0);
  for (let i = 0; i < 12; i++) r(); // mix the seed in
  return r;
}

/** Fisher-Yates shuffle of `a` in place. */
function shuffle(a: Int32Array, r: () => number): Int32Array {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

export class Mixture {
  /** First global index of each source. */
  private readonly starts: number[];
  readonly counts: number[];
  readonly epochSize: number;
  private cached: { epoch: number; order: Int32Array } | null = null;

  constructor(readonly opts: MixtureOptions) {
    const { sizes, weights } = opts;
    if (!sizes.length) throw new RangeError('mixture: no sources');
    sizes.forEach((n, i) => {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`mixture: source ${i} has no samples`);
    });
    this.starts = [];
    let s = 0;
    for (const n of sizes) {
      this.starts.push(s);
      s += n;
    }
    if (!weights) this.counts = [...sizes];
    else {
      if (weights.length !== sizes.length) throw new RangeError('mixture: one weight per source');
      const total = weights.reduce((a, b) => a + b, 0);
      const E = opts.epochSamples ?? s;
      this.counts = weights.map((w) => Math.round((E * w) / total));
    }
    this.epochSize = this.counts.reduce((a, b) => a + b, 0);
    if (this.epochSize < 1) throw new RangeError('mixture: an epoch would hold no sample');
  }

  /** Global sample indices of epoch `epoch` (0-based), in visiting order. */
  order(epoch: number): Int32Array {
    if (this.cached?.epoch === epoch) return this.cached.order;
    const out = new Int32Array(this.epochSize);
    let k = 0;
    const { sizes, weights, seed } = this.opts;
    sizes.forEach((n, i) => {
      const c = this.counts[i]!;
      if (!weights) {
        for (let j = 0; j < n; j++) out[k++] = this.starts[i]! + j;
        return;
      }
      // positions epoch*c .. epoch*c + c - 1 of source i's endless permutation stream
      let perm: Int32Array | null = null;
      let permCycle = -1;
      for (let j = 0; j < c; j++) {
        const p = epoch * c + j;
        const cycle = Math.floor(p / n);
        if (cycle !== permCycle) {
          perm = shuffle(
            Int32Array.from({ length: n }, (_, x) => x),
            rngFor(seed, 1000003 * (i + 1), cycle),
          );
          permCycle = cycle;
        }
        out[k++] = this.starts[i]! + perm![p - cycle * n]!;
      }
    });
    if (this.opts.shuffle !== false) shuffle(out, rngFor(seed, 0, epoch));
    this.cached = { epoch, order: out };
    return out;
  }

  /** Which source a global index belongs to. */
  sourceOf(index: number): number {
    let i = this.starts.length - 1;
    while (this.starts[i]! > index) i--;
    return i;
  }
}

/** A cursor over the epochs of a mixture: the serializable data position of a post-training run. */
export interface MixturePosition {
  epoch: number;
  index: number;
}

export class MixtureCursor {
  constructor(
    readonly mixture: Mixture,
    public pos: MixturePosition = { epoch: 0, index: 0 },
  ) {}

  /** The next sample's global index, without moving. */
  peek(): number {
    return this.mixture.order(this.pos.epoch)[this.pos.index]!;
  }

  next(): number {
    const v = this.peek();
    this.pos =
      this.pos.index + 1 < this.mixture.epochSize
        ? { epoch: this.pos.epoch, index: this.pos.index + 1 }
        : { epoch: this.pos.epoch + 1, index: 0 };
    return v;
  }

  state(): MixturePosition {
    return { ...this.pos };
  }
}
