// Several packed sources mixed with weights. Which source feeds sample i is a pure function of (mixSeed, i), so the
// whole loader position is {sample counter, each source's position}: small JSON saved in every checkpoint.
import { sha256Text } from './sha256.js';
import { type SourceOpenOptions, type SourceState, WindowSource } from './source.js';

export interface DataSourceSpec {
  /** A name for logs and checkpoints (default: the folder). */
  name?: string;
  /** A folder holding LITPKDS shards and their manifest.json (`steel tokenize` output). */
  dir: string;
  /** Relative sampling weight (default 1). */
  weight?: number;
}

export interface LoaderState {
  version: 1;
  mixSeed: number;
  /** Samples (windows) drawn so far. */
  samples: number;
  sources: SourceState[];
}

export interface LoaderOptions {
  /** Tokens per window: seq + 1. */
  windowSize: number;
  /** Permutation seed (Steel: 3407); source k uses seed + k. Also seeds the mixing. */
  seed: number;
  state?: LoaderState;
  verify?: boolean;
  allowDataChange?: boolean;
  appendNewData?: boolean;
}

/** A counter-based uniform in [0, 1) from (seed, i): splitmix32 of both. */
function uniform(seed: number, i: number): number {
  let z = (Math.imul(seed ^ 0x5bd1e995, 0x9e3779b9) + Math.imul(i, 0x85ebca6b) + Math.floor(i / 2 ** 32)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  z = (z ^ (z >>> 16)) >>> 0;
  return z / 2 ** 32;
}

export class DataLoader {
  private readonly cumulative: number[];

  private constructor(
    readonly sources: WindowSource[],
    weights: number[],
    readonly windowSize: number,
    private readonly mixSeed: number,
    private samples: number,
  ) {
    const total = weights.reduce((a, b) => a + b, 0);
    let c = 0;
    this.cumulative = weights.map((w) => {
      c += w / total;
      return c;
    });
  }

  static async open(specs: DataSourceSpec[], o: LoaderOptions): Promise<DataLoader> {
    if (!specs.length) throw new RangeError('data: at least one source is needed');
    const names = specs.map((s, k) => s.name ?? s.dir ?? `source${k}`);
    if (new Set(names).size !== names.length)
      throw new RangeError(`data: source names must differ (${names.join(', ')})`);
    const weights = specs.map((s, k) => {
      const w = s.weight ?? 1;
      if (!(w > 0) || !Number.isFinite(w))
        throw new RangeError(`data source ${names[k]}: weight must be > 0, got ${w}`);
      return w;
    });
    if (o.state) {
      const saved = o.state.sources.map((s) => s.name);
      if (saved.length !== names.length || saved.some((n, i) => n !== names[i]))
        throw new RangeError(
          `data: the checkpoint's sources [${saved.join(', ')}] differ from this run's [${names.join(', ')}]`,
        );
    }
    const sources: WindowSource[] = [];
    try {
      for (let k = 0; k < specs.length; k++) {
        const so: SourceOpenOptions = {
          name: names[k]!,
          dir: specs[k]!.dir,
          windowSize: o.windowSize,
          seed: (o.seed + k) | 0,
          ...(o.state ? { state: o.state.sources[k]! } : {}),
          ...(o.verify !== undefined ? { verify: o.verify } : {}),
          ...(o.allowDataChange ? { allowDataChange: true } : {}),
          ...(o.appendNewData ? { appendNewData: true } : {}),
        };
        sources.push(await WindowSource.open(so));
      }
    } catch (err) {
      await Promise.all(sources.map((s) => s.close()));
      throw err;
    }
    return new DataLoader(sources, weights, o.windowSize, o.state?.mixSeed ?? o.seed, o.state?.samples ?? 0);
  }

  /** Index of the source sample `i` comes from. */
  sourceOf(i: number): number {
    if (this.sources.length === 1) return 0;
    const u = uniform(this.mixSeed, i);
    const k = this.cumulative.findIndex((c) => u < c);
    return k < 0 ? this.sources.length - 1 : k;
  }

  /** `batch` windows as one row-major Int32Array [batch, windowSize]. */
  async nextBatch(batch: number): Promise<Int32Array> {
    const ws = this.windowSize;
    const out = new Int32Array(batch * ws);
    for (let b = 0; b < batch; b++) {
      const k = this.sourceOf(this.samples);
      await this.sources[k]!.next(out.subarray(b * ws, (b + 1) * ws));
      this.samples++;
    }
    return out;
  }

  state(): LoaderState {
    return { version: 1, mixSeed: this.mixSeed, samples: this.samples, sources: this.sources.map((s) => s.state()) };
  }

  /** sha256 over every source's shard list (file name and sha256): identifies the data trained on. */
  dataHash(): string {
    return sha256Text(
      this.sources
        .map((s) => `${s.st.name}\n${s.st.shards.map((r) => `${r.file} ${r.sha256}`).join('\n')}`)
        .join('\n\n'),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.sources.map((s) => s.close()));
  }
}
