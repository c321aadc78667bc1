// The fast engine (@steel/kernels-native's BPE) against HF's binding, the reference.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nativeKernelsStatus } from '@steel/kernels-native';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundledTokenizerPath, loadTokenizer, type QwenTokenizer } from '../src/index.js';
import { NFC_DIFFERS_COUNT, NFC_DIFFERS_FROM_HF } from '../src/nfc-differences.js';
import { ADVERSARIAL } from './adversarial.js';

const cppBuilt = nativeKernelsStatus().available;
let native: QwenTokenizer;
let fast: QwenTokenizer;
let fastJs: QwenTokenizer;

beforeAll(async () => {
  native = await loadTokenizer({ engine: 'native' });
  fast = await loadTokenizer({ engine: 'fast', threads: 2 });
  fastJs = await loadTokenizer({ engine: 'fast', kernel: 'js' });
});

/** Seeded random strings over characters that hit every branch of Qwen2's regex, NFC and the added tokens. */
function fuzzStrings(count: number, seed: number): string[] {
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return s / 2 ** 32;
  };
  const pieces = [
    ' ',
    ' ',
    '   ',
    '\t',
    '\n',
    '\r',
    '\r\n',
    '\n\n',
    "'",
    "'s",
    "'S",
    "'\u017F",
    "'ll",
    "'LL",
    "'Re",
    "'ve",
    "'d",
    "'m",
    "'t",
    'a',
    'the',
    'Hello',
    'IT',
    "don't",
    '1',
    '2024',
    '3.14',
    '.',
    ',',
    '!',
    '?',
    '...',
    '#',
    '{',
    '}',
    '()',
    '=>',
    '中',
    '文',
    '的',
    '模型',
    '训练',
    '，',
    '。',
    '「',
    '」',
    '臺灣',
    '😀',
    '👩‍👩‍👧',
    '🇨🇳',
    '\u0085',
    '\u00A0',
    '\uFEFF',
    '\u3000',
    '\u2028',
    '\u200B',
    'e\u0301',
    '\u0301',
    '\u1100\u1161',
    'Ω',
    'Привет',
    'مرحبا',
    'नमस्ते',
    '\u0660',
    '²',
    '½',
    'ＡＢＣ',
    '１２',
    '\uA7CE',
    '\u{10940}',
    '\u{11DE0}',
    '\uD800',
    '\uDC00',
    '<|im_end|>',
    '<|im_start|>',
    '<|endoftext|>',
    '<|im_end|',
    '<think>',
    '\u0338',
    '>',
    'x'.repeat(40),
    '中'.repeat(30),
  ];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let t = '';
    const n = Math.floor(rand() * 20);
    for (let k = 0; k < n; k++) t += pieces[Math.floor(rand() * pieces.length)];
    out.push(t);
  }
  return out;
}

describe('fast engine = HF ids', () => {
  const corpus = fuzzStrings(4000, 2024);

  for (const allowSpecial of [false, true]) {
    it(`4000 fuzzed strings, allowSpecial ${allowSpecial}, C++ kernel (if built) and JS fallback`, async () => {
      const expected = await native.encodeBatch(corpus, { allowSpecial });
      const got = await fast.encodeBatch(corpus, { allowSpecial });
      const gotJs = await fastJs.encodeBatch(corpus, { allowSpecial });
      corpus.forEach((t, i) => {
        expect(got[i], JSON.stringify(t)).toEqual(expected[i]);
        expect(gotJs[i], JSON.stringify(t)).toEqual(expected[i]);
      });
    });
  }

  it('qwen3: non-special added tokens stay single ids with specials as plain text', async () => {
    const q3native = await loadTokenizer({ variant: 'qwen3', engine: 'native' });
    const q3fast = await loadTokenizer({ variant: 'qwen3', engine: 'fast' });
    for (const allowSpecial of [false, true]) {
      expect(await q3fast.encodeBatch(corpus.slice(0, 1000), { allowSpecial })).toEqual(
        await q3native.encodeBatch(corpus.slice(0, 1000), { allowSpecial }),
      );
    }
  });

  it('letters and digits of Unicode 17 (unknown to HF’s regex engine) are split as HF splits them', async () => {
    const text = 'a\uA7CEb \u{10940}\u{10941} 1\u{11DE0}2 ok';
    expect(await fast.encode(text)).toEqual(await native.encode(text));
  });

  it('code points whose NFC differs between JavaScript and HF get HF’s normalization (ids equal)', async () => {
    const cps: number[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      if (NFC_DIFFERS_FROM_HF.test(String.fromCodePoint(cp))) cps.push(cp);
    }
    expect(cps.length).toBe(NFC_DIFFERS_COUNT);
    const texts = cps.flatMap((cp) => {
      const c = String.fromCodePoint(cp);
      return [`a${c}\u0301 x`, `${c}${c}`, `\u1100${c}`, `e\u0301${c}a`];
    });
    expect(await fast.encodeBatch(texts)).toEqual(await native.encodeBatch(texts));
  });

  it('thread count does not change the ids', async () => {
    const texts = corpus.slice(0, 500);
    const expected = await native.encodeBatch(texts);
    for (const threads of [1, 2, 3]) {
      const tok = await loadTokenizer({ engine: 'fast', threads });
      expect(tok.threads).toBe(threads);
      expect(await tok.encodeBatch(texts)).toEqual(expected);
    }
  });
});

describe('engine selection', () => {
  it('defaults to fast with the C++ kernel when it is built, else to native', async () => {
    const tok = await loadTokenizer();
    if (cppBuilt) {
      expect([tok.engine, tok.kernel]).toEqual(['fast', 'cpp']);
    } else {
      expect([tok.engine, tok.kernel]).toEqual(['native', null]);
    }
    expect(fastJs.kernel).toBe('js');
    expect(native.kernel).toBeNull();
  });

  it('falls back to native for a tokenizer.json the kernel does not reproduce, and says why when asked for it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'steel-tok-fast-'));
    const json = JSON.parse(readFileSync(bundledTokenizerPath(), 'utf8'));
    json.added_tokens = json.added_tokens.filter((t: { id: number }) => t.id <= 151645);
    json.normalizer = { type: 'NFKC' };
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
    const tok = await loadTokenizer({ path: join(dir, 'tokenizer.json') });
    expect(tok.engine).toBe('native');
    expect(await tok.encode('ｈｅｌｌｏ')).toEqual(await native.encode('hello')); // NFKC really applied
    await expect(loadTokenizer({ path: join(dir, 'tokenizer.json'), engine: 'fast' })).rejects.toThrow(
      /fast engine cannot reproduce HF on this tokenizer: normalizer is "NFKC", not NFC/,
    );
  });

  it('rejects bad options with what was wrong', async () => {
    await expect(loadTokenizer({ threads: 0 })).rejects.toThrow(/threads must be an integer from 1 to 1024, got 0/);
    await expect(loadTokenizer({ kernel: 'cpp' })).rejects.toThrow(/kernel: "cpp" needs engine: 'fast'/);
    await expect(loadTokenizer({ engine: 'fast', kernel: 'gpu' as 'js' })).rejects.toThrow(/kernel must be one of/);
  });

  it('offsets of the fast engine are HF’s (from the binding)', async () => {
    for (const text of [ADVERSARIAL.combining!, ADVERSARIAL.emojiZwj!, '𝒳y 世界']) {
      expect(await fast.encodeWithOffsets(text)).toEqual(await native.encodeWithOffsets(text));
    }
  });
});
