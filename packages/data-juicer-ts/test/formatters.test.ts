// Steel's step-1 formatters on hand-written records shaped like the Steel sample files. Expected strings are written
// out from the rules in steel-llm.md §2.1 (NFKC, "\r" removal, qa2txt/multi_qa2txt templates), not from the code.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchFromRecords, writeDataset } from '@steel/dataset';
import { describe, expect, it } from 'vitest';
import {
  formatRecords,
  formatSource,
  multiQa2txt,
  runDjCli,
  SOURCE_FORMATTERS,
  zhihuUpvotes,
  zhProcess,
} from '../src/index.js';

const SYS = '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n';
const chat = (q: string, a: string) => `${SYS}<|im_start|>user\n${q}<|im_end|>\n<|im_start|>assistant\n${a}`;
const one = (name: string, row: Record<string, unknown>, fixBugs = false) =>
  formatRecords(name, [row], { fixBugs }).texts[0] ?? null;

describe('zh_process', () => {
  it('NFKC turns full-width punctuation, letters and U+3000 into ASCII, keeps 。、“”, removes \\r', () => {
    expect(zhProcess('你好，世界！\r\n（测试）：ＡＢＣ１２３\u3000好吗？。、“引号”')).toBe(
      '你好,世界!\n(测试):ABC123 好吗?。、“引号”',
    );
    expect(zhProcess(null)).toBe('');
  });
});

describe('source formatters', () => {
  it('baidu_baike: title：summary + section.title：section.content with no separator; null summary skipped', () => {
    const row = {
      title: '红色食品',
      summary: '红色食品是指食品为红色、橙红色或棕红色的食品。',
      sections: [
        { title: '简介', content: '红色食品富含番茄红素，' },
        { title: '作用', content: '预防感冒。' },
      ],
      tags: ['食品'],
      url: 'http://baike.baidu.com/view/1.htm',
    };
    expect(one('baidu_baike', row)).toBe(
      '红色食品：红色食品是指食品为红色、橙红色或棕红色的食品。简介：红色食品富含番茄红素,作用：预防感冒。',
    );
    expect(one('baidu_baike', { ...row, summary: null })).toBeNull();
    expect(one('baidu_baike', { ...row, summary: '' })).toBeNull();
    // fixBugs: pieces on their own lines, and entries without a summary keep their sections
    expect(one('baidu_baike', { ...row, summary: null }, true)).toBe(
      '红色食品\n简介：红色食品富含番茄红素,\n作用：预防感冒。',
    );
    // quality filter: fewer than 20 characters
    expect(one('baidu_baike', { title: '词', summary: '短', sections: [] })).toBeNull();
  });

  it('baidu_qa and firefly: qa2txt without <|im_end|> after the answer', () => {
    expect(
      one('baidu_qa', { qid: 'q1', category: '教育', title: '为什么？', desc: '描述', answer: '因为\r\n重力。' }),
    ).toBe(chat('为什么?', '因为\n重力。'));
    expect(one('firefly', { kind: 'NLI', input: '前提：甲\n假设：乙', target: '中立' })).toBe(
      chat('前提:甲\n假设:乙', '中立'),
    );
  });

  it('belle (2M): instruction + "\\n" + output; lines of the other BELLE file are skipped', () => {
    expect(one('belle', { instruction: '翻译：你好', input: '', output: 'Hello！' })).toBe('翻译:你好\nHello!');
    expect(one('belle', { conversations: [] })).toBeNull();
  });

  it("belle_conversations: Steel's character-set rstrip eats trailing letters; fixBugs keeps them", () => {
    const row = {
      id: '1',
      conversations: [
        { from: 'human', value: 'How are you?' },
        { from: 'assistant', value: 'Fine.' },
        { from: 'human', value: 'And then?' },
        { from: 'assistant', value: 'I went home and' },
      ],
    };
    const body = `${SYS}<|im_start|>user\nHow are you?<|im_end|>\n<|im_start|>assistant\nFine.<|im_end|>\n<|im_start|>user\nAnd then?<|im_end|>\n<|im_start|>assistant\n`;
    // "and" + "<|im_end|>\n": the strip removes '\n > d n e _ m i | <' and then the 'd', 'n' of "and"
    expect(one('belle_conversations', row)).toBe(`${body}I went home a`);
    expect(one('belle_conversations', row, true)).toBe(`${body}I went home and`);
    // a turn in the wrong slot is dropped: human at an odd index
    const odd = {
      conversations: [
        { from: 'human', value: 'q1' },
        { from: 'human', value: 'q2' },
      ],
    };
    expect(one('belle_conversations', odd)).toBe('<|im_start|>system\nYou are a helpful assistant.');
    expect(one('belle', row)).toBeNull();
  });

  it('moss: conversation [{human, assistant}] → multi_qa2txt', () => {
    expect(
      one('moss', {
        conversation_id: 1,
        category: 'Brainstorming',
        conversation: [
          { human: '你好', assistant: '你好！' },
          { human: '再见', assistant: '再见。' },
        ],
      }),
    ).toBe(
      `${SYS}<|im_start|>user\n你好<|im_end|>\n<|im_start|>assistant\n你好!<|im_end|>\n<|im_start|>user\n再见<|im_end|>\n<|im_start|>assistant\n再见。`,
    );
    expect(multiQa2txt(['q'], [])).toBe('<|im_start|>system\nYou are a helpful assistant.');
  });

  it('zhihu: upvotes ≥ 100 from "赞同 N"; "赞同 1.5 万" is 0 for Steel, 15000 with fixBugs', () => {
    const meta = (up: string) => JSON.stringify({ question_id: 1, answer_id: 2, url: 'u', upvotes: up });
    expect(zhihuUpvotes(meta('赞同 150'))).toBe(150);
    expect(zhihuUpvotes(meta('赞同 1.5 万'))).toBe(0);
    expect(zhihuUpvotes(meta('赞同 1.5 万'), { fixBugs: true })).toBe(15000);
    expect(zhihuUpvotes('not json')).toBe(0);
    const row = (up: string) => ({
      INSTRUCTION: '问题？',
      RESPONSE: '回答，很长的回答。',
      SOURCE: 'Zhihu',
      METADATA: meta(up),
    });
    expect(one('zhihu', row('赞同 100'))).toBe(chat('问题?', '回答,很长的回答。'));
    expect(one('zhihu', row('赞同 99'))).toBeNull();
    expect(one('zhihu', row('赞同 2 万'))).toBeNull();
    expect(one('zhihu', row('赞同 2 万'), true)).toBe(chat('问题?', '回答,很长的回答。'));
  });

  it('wiki_cn, starcode, wanjuan (incl. exam records), skypile', () => {
    expect(
      one('wiki_cn', {
        completion: '数学是研究数量、结构以及空间等概念的一门学科，从某种角度看属于形式科学的一种。',
        source: 'wikipedia.zh2307',
      }),
    ).toBe('数学是研究数量、结构以及空间等概念的一门学科,从某种角度看属于形式科学的一种。');
    expect(one('wiki_cn', { completion: '太短。' })).toBeNull();
    expect(one('starcode', { content: 'int main() {\r\n  return 0; // ，\n}', max_stars_count: 3 })).toBe(
      'int main() {\r\n  return 0; // ，\n}',
    );
    expect(one('wanjuan', { id: 'x', content: '正文，原样。' })).toBe('正文，原样。');
    const exam = {
      q_main: '1+1=?',
      option_a: '1',
      option_b: '2',
      option_c: '3',
      option_d: '4',
      option_e: '',
      std_ans: 'B',
      answer_detail: '加法',
    };
    expect(one('wanjuan', exam)).toBe('1+1=?1234标准答案：B解析：加法');
    const broken = formatRecords('wanjuan', [{ ...exam, answer_detail: null }]);
    expect(broken).toMatchObject({ texts: [], failed: 1 });
    expect(one('skypile', { text: '原样，不变。' })).toBe('原样，不变。');
  });

  it('every formatter is listed and unknown names list the valid ones', () => {
    expect(Object.keys(SOURCE_FORMATTERS).sort()).toEqual(
      [
        'baidu_baike',
        'baidu_qa',
        'belle',
        'belle_conversations',
        'firefly',
        'moss',
        'skypile',
        'starcode',
        'wanjuan',
        'wiki_cn',
        'zhihu',
      ].sort(),
    );
    expect(() => formatRecords('nope', [])).toThrow(/unknown source "nope": use one of baidu_baike/);
  });
});

describe('formatSource / steel-dj format', () => {
  it('JSON lines (bad lines counted), a JSON array file, and parquet; Steel output line format', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dj-format-'));
    const belle = join(dir, 'train_2M_CN_sample.json');
    writeFileSync(
      belle,
      [
        JSON.stringify({ instruction: '你好', input: '', output: '世界' }),
        '{broken',
        JSON.stringify({ conversations: [] }),
      ].join('\n'),
    );
    const s = await formatSource('belle', dir, join(dir, 'out', 'processed_BELLE_2M.jsonl'));
    expect(s).toMatchObject({ read: 3, written: 1, skipped: 1, failed: 1 });
    expect(readFileSync(s.output, 'utf8')).toBe('{"text": "你好\\n世界"}\n');

    const wiki = join(dir, 'wiki.json');
    writeFileSync(
      wiki,
      JSON.stringify([{ completion: '一二三四五六七八九十一二三四五六七八九十', source: 'w' }, { completion: '短' }]),
    );
    const w = await formatSource('wiki_cn', wiki, join(dir, 'wiki.jsonl'));
    expect(w).toMatchObject({ read: 2, written: 1, skipped: 1 });

    const pq = join(dir, 'zhihu.parquet');
    const meta = (n: number) => JSON.stringify({ upvotes: `赞同 ${n}` });
    await writeDataset(
      [
        batchFromRecords([
          { INSTRUCTION: '问？', RESPONSE: '答。', SOURCE: 'Zhihu', METADATA: meta(500) },
          { INSTRUCTION: '问？', RESPONSE: '答。', SOURCE: 'Zhihu', METADATA: meta(5) },
        ]),
      ],
      pq,
    );
    const capture = () => {
      const io = {
        stdout: '',
        stderr: '',
        out(t: string) {
          io.stdout += t;
        },
        err(t: string) {
          io.stderr += t;
        },
      };
      return io;
    };
    const io = capture();
    const out = join(dir, 'zhihu.jsonl');
    expect(await runDjCli(['format', '--source', 'zhihu', '--input', pq, '--output', out, '--json'], io)).toBe(0);
    expect(JSON.parse(io.stdout)).toMatchObject({ read: 2, written: 1, skipped: 1 });
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ text: chat('问?', '答。') });
    const bad = capture();
    expect(await runDjCli(['format', '--source', 'nope', '--input', pq, '--output', out], bad)).toBe(1);
    expect(bad.stderr).toContain("unknown source 'nope'");
  });
});
