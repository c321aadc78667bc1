import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanDemoCorpus } from '../src/index.js';

describe('cleanDemoCorpus', () => {
  it('converts Traditional poems to Simplified, drops junk and duplicates, reports per-op counts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dj-demo-'));
    const input = join(dir, 'corpus.jsonl');
    const poem = '牀前看月光，疑是地上霜。\n舉頭望山月，低頭思故鄉。';
    const english =
      'The Fulton County Grand Jury said Friday an investigation of recent primary elections produced no evidence that any irregularities took place.';
    writeFileSync(
      input,
      [
        { id: 'tang-1', text: poem },
        { id: 'tang-2', text: poem }, // duplicate
        { id: 'junk', text: '###!!!@@@$$$%%%^^^&&&***' }, // special characters only
        { id: 'brown-1', text: english },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const r = await cleanDemoCorpus({ input, outDir: join(dir, 'clean') });
    const out = readFileSync(r.exportPath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(out.map((x) => x.id)).toEqual(['tang-1', 'brown-1']);
    // t2s (舉→举, 頭→头, 鄉→乡) then Data-Juicer's punctuation/width normalisation (，→, 。→.)
    expect(out[0].text).toBe('床前看月光,疑是地上霜.\n举头望山月,低头思故乡.');
    expect(r.read).toBe(4);
    expect(r.written).toBe(2);
    const by = Object.fromEntries(r.ops.map((o) => [o.op, o]));
    expect(by.chinese_convert_mapper).toMatchObject({ in: 4, kept: 4, dropped: 0, changed: 2 });
    expect(by.document_simhash_deduplicator).toMatchObject({ dropped: 1 });
    expect(r.ops.reduce((s, o) => s + o.dropped, 0)).toBe(2);
  });
});
