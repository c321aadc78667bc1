import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type DjCliIo, runDjCli } from '../src/index.js';

const lines = (p: string) =>
  readFileSync(p, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

function capture(): DjCliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out(s: string) {
      io.stdout += s;
    },
    err(s: string) {
      io.stderr += s;
    },
  };
  return io;
}

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'dj-cli-'));
  const input = join(dir, 'in.jsonl');
  writeFileSync(
    input,
    [
      { id: 1, text: '你好，世界。这是一段足够长的文本。' }, // 17 chars: kept, punctuation normalised
      { id: 2, text: 'too short' }, // 9 chars: dropped by text_length_filter
      { id: 3, text: '你好，世界。这是一段足够长的文本。' }, // exact duplicate of 1
      { id: 4, text: 'A sentence that is long enough.' },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n'),
  );
  const recipe = join(dir, 'recipe.yaml');
  writeFileSync(
    recipe,
    [
      `dataset_path: ${input}`,
      `export_path: ${join(dir, 'out', 'result.jsonl')}`,
      'not_a_dj_key: 1',
      'process:',
      '  - punctuation_normalization_mapper:',
      '  - text_length_filter: {min_len: 10}',
      '  - document_deduplicator:',
    ].join('\n'),
  );
  return { dir, input, recipe };
}

describe('steel-dj process', () => {
  it('runs a recipe: output file, per-op kept/dropped counts, unknown keys warn', async () => {
    const { dir, recipe } = setup();
    const io = capture();
    expect(await runDjCli(['process', '--config', recipe, '--json', '--quiet'], io)).toBe(0);
    expect(io.stderr).toContain('unknown key "not_a_dj_key" ignored');
    const out = JSON.parse(io.stdout);
    expect(out.written).toBe(2);
    expect(out.ops.map((o: { op: string; kept: number; dropped: number }) => [o.op, o.kept, o.dropped])).toEqual([
      ['punctuation_normalization_mapper', 4, 0],
      ['text_length_filter', 3, 1],
      ['document_deduplicator', 2, 1],
    ]);
    expect(lines(join(dir, 'out', 'result.jsonl'))).toEqual([
      { id: 1, text: '你好,世界.这是一段足够长的文本.' },
      { id: 4, text: 'A sentence that is long enough.' },
    ]);
    expect(lines(join(dir, 'out', 'result_stats.jsonl'))).toEqual([
      { __dj__stats__: { text_len: 17 } },
      { __dj__stats__: { text_len: 31 } },
    ]);
  });

  it('prints a table without --json', async () => {
    const { recipe } = setup();
    const io = capture();
    expect(await runDjCli(['process', '--config', recipe, '--quiet'], io)).toBe(0);
    expect(io.stdout).toMatch(/text_length_filter\s+4\s+3\s+1/);
    expect(io.stdout).toContain('2 samples written to');
  });

  it('errors are one line on stderr and a non-zero exit', async () => {
    const { dir } = setup();
    const io = capture();
    expect(await runDjCli(['process', '--config', join(dir, 'missing.yaml')], io)).toBe(1);
    expect(io.stderr.trim().split('\n')).toHaveLength(1);
    expect(io.stderr).toMatch(/^steel-dj: cannot read recipe/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'dataset_path: x\nprocess:\n  - text_length_filter: {min_len: "ten"}\n');
    const io2 = capture();
    expect(await runDjCli(['process', '--config', bad], io2)).toBe(1);
    expect(io2.stderr).toMatch(/process\[0\]: text_length_filter\.min_len/);
    const io3 = capture();
    expect(await runDjCli(['process'], io3)).not.toBe(0);
    expect(io3.stderr).toContain("required option '--config <recipe>'");
    const io4 = capture();
    expect(await runDjCli(['process', '--config', bad, '--np', '0'], io4)).toBe(1);
  });

  it('--shard i/N writes a done-marker; a re-run skips the shard; merge dedups across shards', async () => {
    const { dir, recipe } = setup();
    // two input files so that each shard has one
    const inDir = join(dir, 'parts');
    mkdirSync(inDir);
    const all = readFileSync(join(dir, 'in.jsonl'), 'utf8').split('\n');
    writeFileSync(join(inDir, 'a.jsonl'), all.slice(0, 2).join('\n'));
    writeFileSync(join(inDir, 'b.jsonl'), all.slice(2).join('\n'));
    writeFileSync(recipe, readFileSync(recipe, 'utf8').replace(/dataset_path: .*/, `dataset_path: ${inDir}`));
    const io = capture();
    expect(await runDjCli(['merge', '--config', recipe, '--shards', '2'], io)).toBe(1);
    expect(io.stderr).toContain('shards not done yet: 0, 1 of 2');
    for (const i of [1, 0]) {
      const r = capture();
      expect(await runDjCli(['process', '--config', recipe, '--shard', `${i}/2`, '--json', '--quiet'], r)).toBe(0);
      expect(JSON.parse(r.stdout).skipped).toBe(false);
    }
    expect(existsSync(join(dir, 'out', 'done', 'shard-0-of-2.done.json'))).toBe(true);
    const again = capture();
    expect(await runDjCli(['process', '--config', recipe, '--shard', '0/2', '--json'], again)).toBe(0);
    expect(JSON.parse(again.stdout).skipped).toBe(true);
    const m = capture();
    expect(await runDjCli(['merge', '--config', recipe, '--shards', '2', '--json'], m)).toBe(0);
    expect(JSON.parse(m.stdout).written).toBe(2);
    expect([
      ...lines(join(dir, 'out', 'result-0-of-2.jsonl')),
      ...lines(join(dir, 'out', 'result-1-of-2.jsonl')),
    ]).toEqual([
      { id: 1, text: '你好,世界.这是一段足够长的文本.' },
      { id: 4, text: 'A sentence that is long enough.' },
    ]);
    const bad = capture();
    expect(await runDjCli(['process', '--config', recipe, '--shard', '2/2'], bad)).toBe(1);
    expect(bad.stderr).toContain('--shard');
  });
});

describe('steel-dj analyze', () => {
  it('writes stats, percentiles, one SVG per stat and an HTML page; drops nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dj-analyze-cli-'));
    const input = join(dir, 'in.jsonl');
    // text lengths 10, 20, 30, 40, 50 → pandas percentiles 25% = 20, 50% = 30, 75% = 40
    writeFileSync(input, [10, 20, 30, 40, 50].map((n) => JSON.stringify({ text: 'x'.repeat(n) })).join('\n'));
    const recipe = join(dir, 'r.yaml');
    writeFileSync(
      recipe,
      `dataset_path: ${input}\nexport_path: ${join(dir, 'out', 'a.jsonl')}\nprocess:\n  - text_length_filter: {min_len: 1000}\n`,
    );
    const io = capture();
    expect(await runDjCli(['analyze', '--config', recipe, '--json', '--quiet', '--bins', '4'], io)).toBe(0);
    const r = JSON.parse(io.stdout);
    expect(r.samples).toBe(5);
    expect(r.summaries[0]).toMatchObject({ key: 'text_len', min: 10, max: 50, mean: 30 });
    expect(r.summaries[0].percentiles).toEqual({ '25%': 20, '50%': 30, '75%': 40 });
    const svg = readFileSync(join(dir, 'out', 'analysis', 'text_len.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    // 4 bins over [10, 50]: 10 | 20 | 30 | 40,50 → four bars with counts 1,1,1,2
    expect([...svg.matchAll(/<title>[^<]*: (\d+)<\/title>/g)].map((m) => Number(m[1]))).toEqual([1, 1, 1, 2]);
    const html = readFileSync(join(dir, 'out', 'analysis', 'index.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('text_length_filter');
  });

  it('--png also writes a PNG of every plot, the size of its SVG', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dj-analyze-png-'));
    const input = join(dir, 'in.jsonl');
    writeFileSync(input, ['a', 'bb\nccc', 'dddd'].map((text) => JSON.stringify({ text })).join('\n'));
    const recipe = join(dir, 'r.yaml');
    writeFileSync(
      recipe,
      `dataset_path: ${input}\nexport_path: ${join(dir, 'a.jsonl')}\nprocess:\n  - text_length_filter:\n  - maximum_line_length_filter:\n`,
    );
    const io = capture();
    expect(await runDjCli(['analyze', '--config', recipe, '--json', '--quiet', '--png'], io)).toBe(0);
    const r = JSON.parse(io.stdout) as { pngPaths: string[] };
    expect(r.pngPaths.map((p) => p.slice(dir.length + 1))).toEqual([
      'analysis/text_len.png',
      'analysis/max_line_length.png',
      'analysis/correlation.png',
    ]);
    for (const p of r.pngPaths) {
      const png = readFileSync(p);
      expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      // IHDR: width and height (big-endian) at bytes 16..23 equal the SVG's width/height attributes.
      const svg = readFileSync(p.replace(/\.png$/, '.svg'), 'utf8');
      const [, w, h] = /width="(\d+)" height="(\d+)"/.exec(svg)!;
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([Number(w), Number(h)]);
    }
  });
});
