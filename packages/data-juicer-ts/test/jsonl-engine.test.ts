import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRecipeObject, type RunRecipeSummary, runRecipe } from '../src/index.js';

// The JSONL engine (plain .jsonl in and out) is checked against the Arrow engine, which reads the same lines when the
// file is named .json (JSON lines in a .json file go through @steel/dataset's RecordBatches). Every JSONL run uses
// tiny chunks so that chunk boundaries fall inside lines, records and multi-byte characters; worker runs use those
// chunks across the main thread and 1-2 workers (np 2, 3; worker threads run dist/worker.js, built before the tests).

const LONG = `长文本${'很长的句子，'.repeat(700)}结束。`;

/**
 * A corpus with every kind of bad line the readers know, CRLF, a BOM, blank lines, big integers and duplicates.
 * `meta` gives one record an extra field; the Arrow engine writes fields in schema order (first appearance in the
 * file), the JSONL engine in each record's own order, so outputs compare byte for byte only when those agree.
 */
function corpusBytes(meta = true): Buffer {
  const rec = (o: unknown) => JSON.stringify(o);
  const parts: Array<string | Buffer> = [
    `\ufeff${rec({ id: 1, text: '你好，世界。这是一段足够长的文本。' })}\n`,
    '{"id": 2, "text": broken json\n',
    `${rec({ id: 3, text: null })}\n`,
    `${rec({ id: 4, text: 'short' })}\r\n`,
    `${rec({ id: 5, text: 12345 })}\n`,
    `${rec({ id: 6, text: '你好，世界。这是一段足够长的文本。' })}\n`,
    '\n',
    '   \t\r\n',
    `${rec({ id: 7, text: '' })}\n`,
    Buffer.concat([Buffer.from('{"id": 8, "text": "bad '), Buffer.from([0xff, 0xfe]), Buffer.from(' bytes"}\n')]),
    '[1, 2]\n',
    'null\n',
    `${rec({ id: 9 })}\n`,
    '{"id": 12345678901234567890, "text": "这个编号超过了二的五十三次方，必须原样保留。"}\n',
    '{"id": 123456789012345678901234567890, "text": "这个编号超过了 Int64，也要原样写回去。"}\n',
    `${rec({ id: 10, text: LONG, ...(meta ? { meta: { source: 'long' } } : {}) })}\r\n`,
  ];
  for (let i = 11; i < 60; i++)
    parts.push(
      `${rec({ id: i, text: i % 9 === 0 ? '重复的段落：今天天气很好，我们一起去公园散步。' : `第${i}段：这里有一些「全角」标点，和数字${i * 7}。` })}\n`,
    );
  parts.push(rec({ id: 60, text: '最后一行没有换行符，但也是一条完整的记录。' }));
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
}

const PROCESS = [
  { punctuation_normalization_mapper: null },
  { whitespace_normalization_mapper: null },
  { text_length_filter: { min_len: 10 } },
  { character_repetition_filter: { rep_len: 3, max_ratio: 0.9 } },
  { document_deduplicator: null },
  { document_simhash_deduplicator: { tokenization: 'character', window_size: 3 } },
];

interface RunOutput {
  summary: RunRecipeSummary;
  files: Record<string, string>;
  rejected: unknown[];
  errors: string[];
}

async function runOn(
  input: string,
  dir: string,
  opts: { np?: number; chunk?: number; process?: unknown[]; extra?: Record<string, unknown> } = {},
): Promise<RunOutput> {
  const out = join(dir, 'out');
  const recipe = loadRecipeObject({
    dataset_path: input,
    export_path: join(out, 'res.jsonl'),
    open_tracer: true,
    trace_num: 3,
    process: opts.process ?? PROCESS,
    ...(opts.np ? { np: opts.np } : {}),
    ...opts.extra,
  });
  const errors: string[] = [];
  const summary = await runRecipe(recipe, {
    rejectedPath: join(dir, 'rejected.jsonl'),
    onError: (e) => errors.push(`${e.op}: ${e.error.message}`),
    ...(opts.chunk ? { jsonlChunkBytes: opts.chunk } : {}),
  });
  const files: Record<string, string> = {};
  for (const f of readdirSync(out)) if (f.endsWith('.jsonl')) files[f] = readFileSync(join(out, f), 'utf8');
  if (existsSync(join(out, 'trace')))
    for (const f of readdirSync(join(out, 'trace'))) files[`trace/${f}`] = readFileSync(join(out, 'trace', f), 'utf8');
  const rejected = readFileSync(join(dir, 'rejected.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const { file, ...rest } = JSON.parse(l);
      return { file: basename(file).replace(/\.jsonl?$/, ''), ...rest };
    });
  return { summary, files, rejected, errors };
}

/** What must not depend on the engine, the chunk size or the number of threads. */
const comparable = (r: RunOutput) => ({
  files: r.files,
  rejected: r.rejected,
  errors: [...r.errors].sort(),
  written: r.summary.written,
  droppedNoText: r.summary.droppedNoText,
  input: r.summary.input,
  ops: r.summary.ops,
});

/** The corpus as .jsonl (JSONL engine) and as .json (the same bytes, Arrow engine); a folder of two files each. */
function setup(bytes: Buffer) {
  const dir = mkdtempSync(join(tmpdir(), 'dj-jsonl-'));
  const jsonl = join(dir, 'corpus.jsonl');
  const asJson = join(dir, 'corpus.json');
  writeFileSync(jsonl, bytes);
  writeFileSync(asJson, bytes);
  const second = Buffer.from('{"id": 100, "text": "第二个文件的第一行，足够长的文本。"}\n{"id": 101, "text": oops}\n');
  for (const [folder, ext] of [
    ['dir-jsonl', 'jsonl'],
    ['dir-json', 'json'],
  ] as const) {
    mkdirSync(join(dir, folder));
    writeFileSync(join(dir, folder, `a.${ext}`), bytes);
    writeFileSync(join(dir, folder, `b.${ext}`), second);
  }
  const sub = (name: string) => join(dir, name);
  return { jsonl, asJson, jsonlDir: sub('dir-jsonl'), jsonDir: sub('dir-json'), sub };
}

describe('JSONL engine', () => {
  it('writes what the Arrow engine writes, for any chunk size and thread count', async () => {
    const { jsonl, asJson, sub } = setup(corpusBytes());
    const arrow = await runOn(asJson, sub('arrow'));
    expect(arrow.summary.engine).toBe('arrow');
    // Independent expectations on the reference run.
    expect(arrow.summary.input.byReason).toEqual({ 'invalid-json': 1, 'invalid-utf8': 1, 'not-an-object': 2 });
    expect(arrow.rejected.map((r) => (r as { line: number }).line)).toEqual([2, 10, 11, 12]);
    expect(arrow.summary.droppedNoText).toBe(2);
    expect(arrow.errors).toEqual([
      'punctuation_normalization_mapper: sample field "text" must be a string (got number)',
    ]);
    const out = arrow.files['res.jsonl']!;
    expect(out).toContain('{"id":12345678901234567890,"text":');
    expect(out).toContain('{"id":123456789012345678901234567890,"text":');
    expect(out).toContain('"meta":{"source":"long"}');
    expect(arrow.files['trace/duplicate-document_deduplicator.jsonl']).toBeDefined();

    const runs: Array<[string, Promise<RunOutput>]> = [];
    for (const [np, chunk] of [
      [1, 0],
      [1, 7],
      [1, 64],
      [2, 7],
      [2, 113],
      [3, 64],
    ] as const)
      runs.push([`np ${np} chunk ${chunk}`, runOn(jsonl, sub(`jsonl-${np}-${chunk}`), { np, chunk })]);
    for (const [label, p] of runs) {
      const r = await p;
      expect(r.summary.engine, label).toBe('jsonl');
      expect(comparable(r), label).toEqual(comparable(arrow));
    }
  });

  it('numbers rejected lines per file across a folder of inputs', async () => {
    const { jsonlDir, jsonDir, sub } = setup(corpusBytes());
    const arrow = await runOn(jsonDir, sub('arrow'));
    expect(arrow.rejected.map((r) => `${(r as { file: string }).file}:${(r as { line: number }).line}`)).toEqual([
      'a:2',
      'a:10',
      'a:11',
      'a:12',
      'b:2',
    ]);
    for (const [np, chunk] of [
      [1, 29],
      [2, 29],
    ] as const) {
      const r = await runOn(jsonlDir, sub(`jsonl-${np}`), { np, chunk });
      expect(r.summary.engine).toBe('jsonl');
      expect(comparable(r)).toEqual(comparable(arrow));
    }
  });

  it('keeps per-op counts, stats and hashes with keep_stats/keep_hashes, and hash failures at a deduplicator', async () => {
    const { jsonl, asJson, sub } = setup(corpusBytes(false));
    // No mapper first: the number text reaches the deduplicators, whose hash fails on it (dropped alone, reported).
    const process = [{ document_deduplicator: null }, { document_simhash_deduplicator: { tokenization: 'character' } }];
    const extra = { keep_stats_in_res_ds: true, keep_hashes_in_res_ds: true };
    const arrow = await runOn(asJson, sub('arrow'), { process, extra });
    expect(arrow.summary.ops.map((o) => [o.name, o.in, o.out, o.errors])).toEqual([
      // 60 objects with an id, 2 without text; the number text fails the hash; ids 6, 27, 36, 45, 54 repeat a text.
      ['document_deduplicator', 58, 52, 1],
      ['document_simhash_deduplicator', 52, 51, 0],
    ]);
    expect(arrow.files['res.jsonl']).toContain('"__dj__hash":');
    for (const [np, chunk] of [
      [1, 31],
      [2, 31],
    ] as const) {
      const r = await runOn(jsonl, sub(`jsonl-${np}`), { np, chunk, process, extra });
      expect(comparable(r)).toEqual(comparable(arrow));
    }
  });

  it('writes each record with its own key order and refuses to overwrite when asked not to', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dj-jsonl-keys-'));
    const input = join(dir, 'in.jsonl');
    writeFileSync(input, '{"text":"第一条记录的文本足够长。","id":1}\n{"id":2,"text":"第二条记录的文本足够长。"}\n');
    const recipe = loadRecipeObject({
      dataset_path: input,
      export_path: join(dir, 'out.jsonl'),
      process: [{ text_length_filter: { min_len: 5 } }],
    });
    const s = await runRecipe(recipe);
    expect(s.engine).toBe('jsonl');
    expect(readFileSync(join(dir, 'out.jsonl'), 'utf8')).toBe(
      '{"text":"第一条记录的文本足够长。","id":1}\n{"id":2,"text":"第二条记录的文本足够长。"}\n',
    );
    await expect(runRecipe(recipe, { overwrite: false })).rejects.toThrow(/output exists/);
  });

  it('a recipe with a deduplicator in the middle, or a mixture, runs on the Arrow engine (np 1 and np 2 alike, big integers kept)', async () => {
    const { jsonl, sub } = setup(corpusBytes());
    const process = [{ document_deduplicator: null }, { text_length_filter: { min_len: 10 } }];
    const one = await runOn(jsonl, sub('one'), { process });
    const two = await runOn(jsonl, sub('two'), { process, np: 2 });
    expect(one.summary.engine).toBe('arrow');
    expect(two.summary.engine).toBe('arrow');
    expect(comparable(two)).toEqual(comparable(one));
    const mix = await runOn(`0.5 ${jsonl}`, sub('mix'), { process: [{ text_length_filter: null }] });
    expect(mix.summary.engine).toBe('arrow');
  });
});
