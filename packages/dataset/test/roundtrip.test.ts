// The acceptance test: 100k records jsonl -> parquet -> Arrow IPC -> jsonl, compared record by record.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorReport, parseJson, readDataset, stringifyJson, writeDataset } from '../src/index.js';
import { tempDir } from './helpers.js';

/** Small deterministic PRNG (mulberry32) so the corpus is the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  '钢铁',
  '模型',
  'Steel',
  ' ',
  '\n',
  '\t',
  '"',
  '\\',
  '/',
  '😀',
  'é',
  '\u0000',
  '\u2028',
  'ABC',
  '，。',
  '{"x":1}',
  '',
];

function makeRecord(i: number, r: () => number): Record<string, unknown> {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  let text = '';
  const len = Math.floor(r() * 12);
  for (let k = 0; k < len; k++) text += pick(PIECES);
  const rec: Record<string, unknown> = { id: i, text };
  rec.score = r() < 0.5 ? Math.floor(r() * 1000) : r() * 10 ** Math.floor(r() * 40 - 20); // int + float -> Float64
  if (r() < 0.7) rec.lang = pick(['zh', 'en', null]); // sometimes absent, sometimes null -> JSON text
  if (r() < 0.9) rec.meta = { source: pick(['sky', 'wanjuan']), tokens: Math.floor(r() * 5000), ok: r() < 0.5 };
  // title may cut a surrogate pair in half: such strings must survive too (as JSON text).
  const meta = rec.meta as Record<string, unknown> | undefined;
  if (r() < 0.3 && meta) meta.title = text.slice(0, 3);
  rec.tags = Array.from({ length: Math.floor(r() * 4) }, () => pick(['a', 'b', 'c']));
  const m = r();
  rec.mixed = m < 0.25 ? Math.floor(r() * 10) : m < 0.5 ? 'str' : m < 0.75 ? { k: [1, 'two', null] } : [true, 1.5];
  if (r() < 0.01) rec.big = BigInt(Number.MAX_SAFE_INTEGER) + BigInt(Math.floor(r() * 1e6)) + 2n; // > 2^53
  if (r() < 0.001) rec.huge = parseJson('123456789012345678901234567890'); // beyond Int64
  if (r() < 0.05) rec.nested = { deep: { list: [[1, 2], [], [3]], flag: r() < 0.5 } };
  if (i === 90_000) rec.late = 'a key that first appears near the end';
  if (r() < 0.02) rec.empty = {};
  return rec;
}

describe('lossless round trip', () => {
  it('100k records survive jsonl -> parquet -> Arrow IPC -> jsonl', async () => {
    const d = tempDir();
    const r = rng(42);
    const src = join(d, 'src.jsonl');
    let text = '';
    for (let i = 0; i < 100_000; i++) text += `${stringifyJson(makeRecord(i, r))}\n`;
    writeFileSync(src, text);

    const errors = new ErrorReport();
    const pq = await writeDataset(readDataset(src, { errors }), join(d, 'a.parquet'));
    const ipc = await writeDataset(readDataset(join(d, 'a.parquet')), join(d, 'b.arrow'));
    const out = await writeDataset(readDataset(join(d, 'b.arrow')), join(d, 'c.jsonl'));
    expect([pq.rows, ipc.rows, out.rows]).toEqual([100_000, 100_000, 100_000]);
    expect(errors.summary()).toEqual({ read: 100_000, written: 0, rejected: 0, byReason: {} });

    const parse = (p: string) =>
      readFileSync(p, 'utf8')
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => parseJson(l));
    const before = parse(src);
    const after = parse(join(d, 'c.jsonl'));
    expect(after.length).toBe(before.length);
    // Compare in chunks so a failure names the first differing record instead of dumping 100k.
    for (let i = 0; i < before.length; i += 1000) {
      expect(after.slice(i, i + 1000), `records ${i}..${i + 999}`).toEqual(before.slice(i, i + 1000));
    }
  }, 120_000);
});
