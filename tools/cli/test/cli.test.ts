// The CLI end to end through `main`, as a user would call it: stdout/stderr captured, exit codes checked.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';

let dir: string;
let out: string;
let err: string;

async function steel(...args: string[]): Promise<number> {
  out = '';
  err = '';
  process.exitCode = undefined;
  const so = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    out += String(s);
    return true;
  });
  const se = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    err += String(s);
    return true;
  });
  try {
    await main(['node', 'steel', ...args]);
  } finally {
    so.mockRestore();
    se.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return code;
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steel-cli-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('steel data', () => {
  it('converts jsonl to parquet and back, reporting the bad line without stopping', async () => {
    const src = path.join(dir, 'in.jsonl');
    fs.writeFileSync(src, '{"text":"你好","n":1}\n{"text": broken\n{"text":"world","n":2}\n{"n":3}\n');
    expect(
      await steel('data', 'convert', src, path.join(dir, 'out.parquet'), '--text-key', 'text', '--json', '--quiet'),
    ).toBe(0);
    const summary = JSON.parse(out);
    // 4 lines: one malformed JSON, one without the text key, two good.
    expect(summary).toMatchObject({ read: 4, written: 2, rejected: 2 });
    expect(summary.byReason).toEqual({ 'invalid-json': 1, 'missing-field': 1 });

    expect(await steel('data', 'convert', path.join(dir, 'out.parquet'), path.join(dir, 'back.jsonl'), '--quiet')).toBe(
      0,
    );
    const back = fs
      .readFileSync(path.join(dir, 'back.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(back).toEqual([
      { text: '你好', n: 1 },
      { text: 'world', n: 2 },
    ]);
  });

  it('prints stats as JSON', async () => {
    const src = path.join(dir, 'a.jsonl');
    fs.writeFileSync(src, '{"text":"a","meta":{"id":7}}\n{"text":"bb","meta":{"id":8}}\n');
    expect(await steel('data', 'stats', src, '--json')).toBe(0);
    const stats = JSON.parse(out);
    expect(stats.rows).toBe(2);
    expect(stats.fields.map((f: { name: string }) => f.name)).toEqual(['text', 'meta']);
  });

  it('fails with one line on stderr for a missing input and leaves no output', async () => {
    const target = path.join(dir, 'x.parquet');
    expect(await steel('data', 'convert', path.join(dir, 'nope.jsonl'), target, '--quiet')).toBe(1);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(/^steel: .*nope\.jsonl/);
    expect(fs.existsSync(target)).toBe(false);
  });

  it('rejects an unknown command with a usage error', async () => {
    expect(await steel('frobnicate')).not.toBe(0);
    expect(err).toMatch(/unknown command 'frobnicate'/);
  });
});
