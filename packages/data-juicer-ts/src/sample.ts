// The unit every op works on: a plain record, its text under `text_key`, and Data-Juicer's reserved fields.

/** Per-sample stats written by filters, e.g. `{ text_len: 12, alnum_ratio: 0.75 }`. */
export type SampleStats = Record<string, number | string>;

/** A plain record. Ops read the text at `text_key` (a dotted path reaches nested fields). */
export type Sample = Record<string, unknown> & { __dj__stats__?: SampleStats };

export const STATS_KEY = '__dj__stats__';
export const HASH_KEY = '__dj__hash';
export const SIMHASH_KEY = '__dj__simhash';
export const MINHASH_KEY = '__dj__minhash';

/** Read a (possibly dotted) field. A literal key containing dots wins over the nested path. */
export function getField(sample: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(sample, path)) return sample[path];
  let cur: unknown = sample;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Return a copy of `sample` with the (possibly dotted) field set; nested objects on the path are copied too. */
export function withField(sample: Sample, path: string, value: unknown): Sample {
  if (Object.hasOwn(sample, path) || !path.includes('.')) return { ...sample, [path]: value };
  const parts = path.split('.');
  const setIn = (obj: Record<string, unknown>, i: number): Record<string, unknown> => {
    const key = parts[i]!;
    if (i === parts.length - 1) return { ...obj, [key]: value };
    const child = obj[key];
    const childObj = child !== null && typeof child === 'object' ? (child as Record<string, unknown>) : {};
    return { ...obj, [key]: setIn(childObj, i + 1) };
  };
  return setIn(sample, 0) as Sample;
}

/** The text of a sample, or a TypeError saying which field is wrong and what it holds. */
export function getText(sample: Record<string, unknown>, textKey: string): string {
  const v = getField(sample, textKey);
  if (typeof v !== 'string') {
    const got = v === undefined ? 'no such field' : v === null ? 'null' : typeof v;
    throw new TypeError(`sample field "${textKey}" must be a string (got ${got})`);
  }
  return v;
}
