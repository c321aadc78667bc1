// The three op kinds of Data-Juicer: Mapper (sample -> sample), Filter (stats, then keep/drop) and Deduplicator
// (hash per sample, then one pass over all samples in order).

import type { ParamValues } from './params.js';
import { getText, type Sample, type SampleStats, STATS_KEY, withField } from './sample.js';

export type OpKind = 'mapper' | 'filter' | 'deduplicator';

export abstract class Op {
  abstract readonly kind: OpKind;
  /** Registered op name, e.g. `text_length_filter`. */
  readonly name: string;
  /** Validated parameters with defaults filled in. */
  readonly params: Readonly<ParamValues>;
  readonly textKey: string;

  /** Load what the op needs asynchronously (e.g. a SentencePiece model); a no-op for most ops. Idempotent. */
  async prepare(): Promise<void> {}

  /** True when `prepare()` must be awaited before the op can run. */
  needsPrepare(): boolean {
    return false;
  }

  constructor(name: string, params: ParamValues) {
    this.name = name;
    this.params = Object.freeze({ ...params });
    this.textKey = typeof params.text_key === 'string' ? params.text_key : 'text';
  }
}

/** Rewrites the text of each sample. Subclasses implement `processText`. */
export abstract class Mapper extends Op {
  readonly kind = 'mapper' as const;

  /** The text transformation alone. */
  abstract processText(text: string): string;

  /** Return a new sample whose text is processed; other fields are kept. */
  process(sample: Sample): Sample {
    const text = getText(sample, this.textKey);
    return withField(sample, this.textKey, this.processText(text));
  }
}

/** Data-Juicer's get_keep_boolean: both ends inclusive by default; `reversed_range` keeps the outside. */
export function keepInRange(
  value: number,
  min: number,
  max: number,
  minClosed = true,
  maxClosed = true,
  reversed = false,
): boolean {
  if (reversed) {
    minClosed = !minClosed;
    maxClosed = !maxClosed;
  }
  const lowOk = minClosed ? value >= min : value > min;
  const highOk = maxClosed ? value <= max : value < max;
  const inside = lowOk && highOk;
  return reversed ? !inside : inside;
}

/**
 * Computes stats into `__dj__stats__` and decides keep/drop from them. A stat already present under its key is reused
 * and never recomputed (Data-Juicer's caching by key, which a repeated filter with other settings also hits).
 */
export abstract class Filter extends Op {
  readonly kind = 'filter' as const;

  /** The stats key this filter writes and reads. */
  abstract readonly statKey: string;

  /** Compute the stat from the text. */
  abstract computeStat(text: string): number;

  /** The [min, max] range the stat must fall in. */
  protected abstract range(): [number, number];

  /** Return the sample with this filter's stat present (computed only when its key is absent). */
  computeStats(sample: Sample): Sample {
    const stats = sample[STATS_KEY];
    if (stats && Object.hasOwn(stats, this.statKey)) return sample;
    const value = this.computeStat(getText(sample, this.textKey));
    const nextStats: SampleStats = { ...(stats ?? {}), [this.statKey]: value };
    return { ...sample, [STATS_KEY]: nextStats };
  }

  /** Keep (true) or drop (false) a sample whose stats were computed. */
  process(sample: Sample): boolean {
    const stats = sample[STATS_KEY];
    const raw = stats?.[this.statKey];
    if (raw === undefined) throw new Error(`${this.name}: stat "${this.statKey}" missing; call computeStats first`);
    const value = typeof raw === 'number' ? raw : Number(raw);
    const [min, max] = this.range();
    return keepInRange(
      value,
      min,
      max,
      this.params.min_closed_interval !== false,
      this.params.max_closed_interval !== false,
      this.params.reversed_range === true,
    );
  }

  /** computeStats + process on one sample: the sample with stats, and the decision. */
  run(sample: Sample): { sample: Sample; keep: boolean } {
    const withStats = this.computeStats(sample);
    return { sample: withStats, keep: this.process(withStats) };
  }

  /** Convenience: the decision for a bare string. */
  keepText(text: string): boolean {
    return this.run({ [this.textKey]: text }).keep;
  }
}

/** One duplicate group for the tracer: the kept sample and a removed one. */
export interface DuplicatePair {
  kept: Sample;
  removed: Sample;
}

export interface DedupResult {
  /** Samples kept, in input order. */
  kept: Sample[];
  /** Indices (into the input) of the kept samples. */
  keptIndices: number[];
  /** Up to `showNum` groups with their first two members. */
  dupPairs: DuplicatePair[];
  /** Samples whose hash could not be computed: dropped (only they), with the reason. */
  errors: Array<{ index: number; error: Error }>;
}

/** Adds a hash per sample (`computeHash`), then keeps one sample per duplicate group over the whole list, in order. */
export abstract class Deduplicator extends Op {
  readonly kind = 'deduplicator' as const;

  /** The field holding this op's hash (e.g. `__dj__simhash`). */
  abstract readonly hashKey: string;

  /** The hash of one text. */
  abstract hashText(text: string): string;

  /** Return the sample with its hash field (kept as is when already present). */
  computeHash(sample: Sample): Sample {
    if (sample[this.hashKey] !== undefined && sample[this.hashKey] !== null) return sample;
    return { ...sample, [this.hashKey]: this.hashText(getText(sample, this.textKey)) };
  }

  /** Decide which of the hashed samples survive; index i of the result says whether samples[i] is kept. */
  protected abstract keepMask(hashes: string[]): { keep: boolean[]; groups: Array<[number, number]> };

  /** Which of the given hash values (in dataset order) survive: the public face of keepMask, for sharded runs. */
  keepMaskForHashes(hashes: string[]): boolean[] {
    return hashes.length <= 1 ? hashes.map(() => true) : this.keepMask(hashes).keep;
  }

  /** keepMaskForHashes plus the duplicate groups as (kept, removed) index pairs, for the tracer. */
  keepMaskAndGroupsForHashes(hashes: string[]): { keep: boolean[]; groups: Array<[number, number]> } {
    return hashes.length <= 1 ? { keep: hashes.map(() => true), groups: [] } : this.keepMask(hashes);
  }

  /** Keep one sample per duplicate group, first in input order. `showNum` limits the returned pairs. */
  process(samples: Sample[], showNum = 0): DedupResult {
    // A sample whose hash fails is dropped alone (Data-Juicer's skip_op_error drops its whole batch).
    const errors: Array<{ index: number; error: Error }> = [];
    const hashed: Sample[] = [];
    const origIndex: number[] = [];
    samples.forEach((s, i) => {
      try {
        hashed.push(this.computeHash(s));
        origIndex.push(i);
      } catch (e) {
        errors.push({ index: i, error: e instanceof Error ? e : new Error(String(e)) });
      }
    });
    if (hashed.length <= 1) {
      return { kept: hashed, keptIndices: origIndex, dupPairs: [], errors };
    }
    const hashes = hashed.map((s) => String(s[this.hashKey]));
    const { keep, groups } = this.keepMask(hashes);
    const kept: Sample[] = [];
    const keptIndices: number[] = [];
    keep.forEach((k, i) => {
      if (k) {
        kept.push(hashed[i]!);
        keptIndices.push(origIndex[i]!);
      }
    });
    const dupPairs = groups.slice(0, Math.max(0, showNum)).map(([a, b]) => ({ kept: hashed[a]!, removed: hashed[b]! }));
    return { kept, keptIndices, dupPairs, errors };
  }

  /** Convenience: deduplicate bare strings, returning the kept strings in order. */
  dedupTexts(texts: string[]): string[] {
    return this.process(texts.map((t) => ({ [this.textKey]: t }))).kept.map((s) => getText(s, this.textKey));
  }
}
