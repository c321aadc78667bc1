import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeRecipe, correlationMatrix, describeStat, loadRecipeObject } from '../src/index.js';

describe('analyzer', () => {
  it('describeStat matches pandas describe (ddof 1 std, linear percentiles)', () => {
    // values 1, 2, 3, 4: mean 2.5, std sqrt(5/3) = 1.29099..., 25% at pos 0.75 -> 1.75, 50% 2.5, 75% 3.25
    const s = describeStat('x', [4, 1, 3, 2]);
    expect(s.count).toBe(4);
    expect(s.mean).toBe(2.5);
    expect(s.std).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(s.percentiles).toEqual({ '25%': 1.75, '50%': 2.5, '75%': 3.25 });
    expect([s.min, s.max]).toEqual([1, 4]);
  });

  it('computes every filter stat on every sample, drops nothing, writes stats and overall tables', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dj-analyze-'));
    const input = join(dir, 'in.jsonl');
    writeFileSync(input, ['abc', 'abcdef', 'a\nbb'].map((text) => JSON.stringify({ text })).join('\n'));
    const r = await analyzeRecipe(
      loadRecipeObject({
        dataset_path: input,
        export_path: join(dir, 'out.jsonl'),
        process: [
          { clean_html_mapper: null },
          { text_length_filter: { min_len: 100 } },
          { maximum_line_length_filter: null },
        ],
      }),
    );
    expect(r.samples).toBe(3);
    const text = r.summaries.find((s) => s.key === 'text_len')!;
    // lengths 3, 6, 4 -> mean 13/3, median 4
    expect(text.mean).toBeCloseTo(13 / 3, 12);
    expect(text.percentiles['50%']).toBe(4);
    expect(r.summaries.find((s) => s.key === 'max_line_length')!.max).toBe(6);
    expect(readFileSync(r.statsPath, 'utf8').trim().split('\n')).toHaveLength(3);
    expect(readFileSync(r.overallCsvPath, 'utf8').split('\n')[0]).toBe(',text_len,max_line_length');
    // text_len 3, 6, 4 and max_line_length 3, 6, 2: r = 48 / sqrt(42 * 78) by hand (deviations in thirds).
    expect(r.correlationKeys).toEqual(['text_len', 'max_line_length']);
    expect(r.correlation[0]![1]).toBeCloseTo(48 / Math.sqrt(42 * 78), 12);
    expect(r.correlation[1]![1]).toBeCloseTo(1, 12);
    const svg = readFileSync(r.correlationPath, 'utf8');
    expect(svg.match(/<title>/g)).toHaveLength(4);
    expect(svg).toContain('<title>text_len / max_line_length: 0.8386</title>');
    expect(readFileSync(r.htmlPath, 'utf8')).toContain('<figure id="correlation">');
  });

  it('correlationMatrix is pandas corr(): Pearson over the pairs present, NaN for a constant column', () => {
    const x = [1, 2, 3, 4];
    const y = [1, 3, 2, 4]; // deviations ±1.5, ±0.5: cov 4, variances 5 -> 0.8
    const z = [4, 3, 2, 1];
    const c = [5, 5, 5, 5];
    const w = [Number.NaN, 2, 4, 6]; // with x over rows 1..3: exactly linear
    const m = correlationMatrix([x, y, z, c, w]);
    expect(m[0]![1]).toBeCloseTo(0.8, 12);
    expect(m[0]![2]).toBeCloseTo(-1, 12);
    expect(m[0]![3]).toBeNaN();
    expect(m[3]![3]).toBeNaN();
    expect(m[0]![4]).toBeCloseTo(1, 12);
    expect(m[4]![0]).toBe(m[0]![4]);
  });
});
