// Post-training data: record layouts, the ChatML encoding with its label flags checked token by token against the
// real chat template and the real Qwen tokenizer, the weighted epoch mixture, and packed rows.
import { loadTokenizer } from '@steel/tokenizer';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  chatFormat,
  encodeChatSamples,
  encodePreferenceSamples,
  Mixture,
  MixtureCursor,
  parseChatRecord,
  parsePreferenceRecord,
  SftBatcher,
  type SftSet,
} from '../src/index.js';

describe('record layouts', () => {
  it('messages, sharegpt and alpaca (with input and history) normalize to the same conversation shape', () => {
    expect(
      parseChatRecord({
        messages: [
          { role: 'system', content: 'S' },
          { role: 'user', content: 'q' },
          { role: 'assistant', content: 'a' },
        ],
      }),
    ).toEqual({ ok: true, layout: 'messages', value: { system: 'S', turns: [{ user: 'q', assistant: 'a' }] } });
    expect(
      parseChatRecord({
        conversations: [
          { from: 'human', value: 'q1' },
          { from: 'gpt', value: 'a1' },
          { from: 'human', value: 'q2' },
          { from: 'gpt', value: 'a2' },
        ],
        system: 'S',
      }),
    ).toEqual({
      ok: true,
      layout: 'sharegpt',
      value: {
        system: 'S',
        turns: [
          { user: 'q1', assistant: 'a1' },
          { user: 'q2', assistant: 'a2' },
        ],
      },
    });
    expect(parseChatRecord({ instruction: '翻译', input: 'steel', output: '钢', history: [['hi', 'hello']] })).toEqual({
      ok: true,
      layout: 'alpaca',
      value: {
        system: null,
        turns: [
          { user: 'hi', assistant: 'hello' },
          { user: '翻译\nsteel', assistant: '钢' },
        ],
      },
    });
  });

  it("@steel/eval's exam-data records (steel eval exam-data) parse as SFT and preference samples", () => {
    // the shapes of examToSft / examToDpo output
    const q = '以下是一道单选题:\n1+1=?\nA. 1\nB. 2\nC. 3\nD. 4\n请给出答案。\n';
    const sft = parseChatRecord({
      id: 'x-1',
      messages: [
        { role: 'user', content: q },
        { role: 'assistant', content: 'B。' },
      ],
    });
    expect(sft).toMatchObject({ ok: true, value: { turns: [{ user: q, assistant: 'B。' }] } });
    const dpo = parsePreferenceRecord({
      id: 'x-1-A',
      prompt: [{ role: 'user', content: q }],
      chosen: [{ role: 'assistant', content: 'B。' }],
      rejected: [{ role: 'assistant', content: 'A。' }],
    });
    expect(dpo).toMatchObject({ ok: true, value: { prompt: q, chosen: 'B。', rejected: 'A。', history: [] } });
  });

  it('rejects what does not fit, with a reason', () => {
    const reason = (r: unknown) => {
      const p = parseChatRecord(r);
      return p.ok ? 'ok' : p.reason;
    };
    expect(reason('text')).toMatch(/JSON object/);
    expect(reason({ text: 'x' })).toMatch(/unknown layout/);
    expect(reason({ messages: [{ role: 'user', content: 'q' }] })).toMatch(/end with the assistant/);
    expect(
      reason({
        messages: [
          { role: 'assistant', content: 'a' },
          { role: 'user', content: 'q' },
        ],
      }),
    ).toMatch(/should be a user message/);
    expect(reason({ messages: [{ role: 'tool', content: 'x' }] })).toMatch(/role 'tool' is not one of/);
    expect(reason({ instruction: 'q', output: 3 })).toMatch(/'output' must be a string/);
  });

  it('preference layouts: strings, LLaMA-Factory ranking, prompt lists, whole conversations', () => {
    const v = (r: unknown) => {
      const p = parsePreferenceRecord(r);
      if (!p.ok) throw new Error(p.reason);
      return p.value;
    };
    expect(v({ prompt: 'q', chosen: 'good', rejected: 'bad' })).toEqual({
      system: null,
      history: [],
      prompt: 'q',
      chosen: 'good',
      rejected: 'bad',
    });
    expect(v({ instruction: 'q', input: 'x', chosen: 'g', rejected: 'b' }).prompt).toBe('q\nx');
    expect(
      v({
        prompt: [{ role: 'user', content: 'q' }],
        chosen: [{ role: 'assistant', content: 'g' }],
        rejected: [{ role: 'assistant', content: 'b' }],
      }),
    ).toMatchObject({ prompt: 'q', chosen: 'g', rejected: 'b' });
    expect(
      v({
        chosen: [
          { role: 'user', content: 'q' },
          { role: 'assistant', content: 'g' },
        ],
        rejected: [
          { role: 'user', content: 'q' },
          { role: 'assistant', content: 'b' },
        ],
      }),
    ).toMatchObject({ prompt: 'q', chosen: 'g', rejected: 'b' });
    const p = parsePreferenceRecord({
      chosen: [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: 'g' },
      ],
      rejected: [
        { role: 'user', content: 'other' },
        { role: 'assistant', content: 'b' },
      ],
    });
    expect(p.ok).toBe(false);
  });
});

describe('ChatML encoding with label flags (the real Qwen1.5 tokenizer and chat template)', () => {
  let tok: Awaited<ReturnType<typeof loadTokenizer>>;
  beforeAll(async () => {
    tok = await loadTokenizer();
  }, 60_000);

  it('ids equal the tokenized chat template; exactly the answers and their <|im_end|> are labels', async () => {
    const f = chatFormat(tok, 'You are a helpful assistant.');
    const sample = {
      system: null,
      turns: [
        { user: '钢铁是怎样炼成的？', assistant: '是在烈火里燃烧、在急剧冷却里锻炼出来的。' },
        { user: 'And in English?', assistant: 'Steel is tempered by fire and rapid cooling.' },
      ],
    };
    const [enc] = await encodeChatSamples(tok, f, [sample]);
    const messages = sample.turns.flatMap((t) => [
      { role: 'user', content: t.user },
      { role: 'assistant', content: t.assistant },
    ]);
    const text = tok.applyChatTemplate(messages);
    // LLaMA-Factory's sequence is the template's text without its final "\n" after the last <|im_end|>
    expect(text.endsWith('<|im_end|>\n')).toBe(true);
    expect(enc!.ids).toEqual(await tok.encode(text.slice(0, -1), { allowSpecial: true }));
    // the labelled runs, decoded, are the answers each followed by <|im_end|>
    const runs: number[][] = [];
    enc!.trained.forEach((t, i) => {
      if (!t) return;
      if (i === 0 || !enc!.trained[i - 1]) runs.push([]);
      runs.at(-1)!.push(enc!.ids[i]!);
    });
    expect(runs.map((r) => tok.decode(r))).toEqual(sample.turns.map((t) => `${t.assistant}<|im_end|>`));
  });

  it('a control-token string typed in a message stays text; an empty system prompt drops the system block', async () => {
    const f = chatFormat(tok, '');
    const [enc] = await encodeChatSamples(tok, f, [
      { system: null, turns: [{ user: 'say <|im_end|>', assistant: 'ok' }] },
    ]);
    expect(enc!.ids.filter((id) => id === 151645)).toHaveLength(2); // the user turn's and the answer's
    expect(tok.decode(enc!.ids)).toBe(
      '<|im_start|>user\nsay <|im_end|><|im_end|>\n<|im_start|>assistant\nok<|im_end|>',
    );
  });

  it('preference pairs: the prompt ends with the assistant header, answers end with <|im_end|>', async () => {
    const f = chatFormat(tok, 'You are a helpful assistant.');
    const [p] = await encodePreferenceSamples(tok, f, [
      { system: null, history: [], prompt: '1+1=?', chosen: '2', rejected: '3' },
    ]);
    expect(tok.decode(p!.prompt)).toBe(
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n1+1=?<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(tok.decode(p!.chosen)).toBe('2<|im_end|>');
    expect(tok.decode(p!.rejected)).toBe('3<|im_end|>');
  });
});

describe('epoch mixture', () => {
  it('without weights: every sample once per epoch, a different order each epoch, deterministic', () => {
    const m = new Mixture({ sizes: [5, 3], weights: null, seed: 1 });
    const e0 = [...m.order(0)];
    const e1 = [...m.order(1)];
    expect([...e0].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect([...e1].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(e0).not.toEqual(e1);
    expect([...new Mixture({ sizes: [5, 3], weights: null, seed: 1 }).order(1)]).toEqual(e1);
  });

  it('with weights: shares per epoch, a down-weighted source cycles through all its samples across epochs', () => {
    const m = new Mixture({ sizes: [100, 100], weights: [0.8, 0.2], seed: 3 });
    expect(m.counts).toEqual([160, 40]);
    const seen = new Set<number>();
    for (let e = 0; e < 5; e++) {
      const o = m.order(e);
      expect([...o].filter((i) => i >= 100)).toHaveLength(40);
      for (const i of o) if (i >= 100) seen.add(i);
    }
    expect(seen.size).toBe(100); // 5 epochs x 40 = two passes over the 100 samples of source 1
  });

  it('the cursor crosses epochs and its state resumes at the same sample', () => {
    const m = new Mixture({ sizes: [3], weights: null, seed: 9 });
    const a = new MixtureCursor(m);
    const seq = Array.from({ length: 7 }, () => a.next());
    const b = new MixtureCursor(m);
    for (let i = 0; i < 4; i++) b.next();
    const c = new MixtureCursor(m, b.state());
    expect([...seq.slice(0, 4), c.next(), c.next(), c.next()]).toEqual(seq);
    expect(c.state()).toEqual({ epoch: 2, index: 1 });
  });
});

describe('packed rows', () => {
  it('segments, positions from 0, and no target crossing from one sample into the next', () => {
    // samples: [10,11,12] labels on 11,12; [20,21] label on 21; [30,31,32,33] labels on 31..33
    const set: SftSet = {
      tokens: Int32Array.from([10, 11, 12, 20, 21, 30, 31, 32, 33]),
      trained: Uint8Array.from([0, 1, 1, 0, 1, 0, 1, 1, 1]),
      offsets: Int32Array.from([0, 3, 5, 9]),
      sizes: [3],
      names: ['x'],
      stats: {} as SftSet['stats'],
      hash: '',
    };
    const cursor = new MixtureCursor(new Mixture({ sizes: [3], weights: null, seed: 0, shuffle: false }));
    const b = new SftBatcher(set, cursor, { rows: 2, seq: 6, packing: true, maxSegments: 4, padId: 0 }).next();
    const n = (a: BigInt64Array) => [...a].map(Number);
    expect(n(b.ids)).toEqual([10, 11, 12, 20, 21, 0, 30, 31, 32, 33, 0, 0]);
    expect(n(b.segments)).toEqual([1, 1, 1, 2, 2, 0, 1, 1, 1, 1, 0, 0]);
    expect(n(b.positions)).toEqual([0, 1, 2, 0, 1, 0, 0, 1, 2, 3, 0, 0]);
    expect(n(b.targets)).toEqual([11, 12, -100, 21, -100, -100, 31, 32, 33, -100, -100, -100]);
    expect(b.labels).toBe(6);
    expect(b.samples).toEqual([0, 1, 2]);
  });
});
