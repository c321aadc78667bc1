import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createOp, createOpAsync, type Filter, HfTokenizer } from '../src/index.js';

// A tiny byte-level BPE tokenizer.json shaped like GPT-NeoX's (pythia's: NFC, ByteLevel pre-tokenizer with the GPT-2
// regex, BPE over byte symbols), written by the test. Token counts are checked by hand on two texts and against the
// Hugging Face Rust tokenizers binding (the reference implementation) on more.

/** GPT-2's bytes_to_unicode: the symbol of each byte. */
function byteSymbols(): string[] {
  const keep: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) keep.push(b);
  for (let b = 0xa1; b <= 0xac; b++) keep.push(b);
  for (let b = 0xae; b <= 0xff; b++) keep.push(b);
  const out = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) out[b] = String.fromCodePoint(keep.includes(b) ? b : 256 + extra++);
  return out;
}

function tinyTokenizerJson(): string {
  const sym = byteSymbols();
  const bytes = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => sym[b]!);
  const [z1, z2, z3] = bytes('中');
  const merges: Array<[string, string]> = [
    ['t', 'h'],
    ['th', 'e'],
    [sym[0x20]!, 'the'],
    ['l', 'l'],
    ['e', 'll'],
    ['h', 'ell'],
    ['hell', 'o'],
    [z1!, z2!],
    [z1! + z2!, z3!],
  ];
  const vocab: Record<string, number> = {};
  for (const s of sym) vocab[s] = Object.keys(vocab).length;
  for (const [a, b] of merges) vocab[a + b] = Object.keys(vocab).length;
  const eot = Object.keys(vocab).length;
  return JSON.stringify({
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      {
        id: eot,
        content: '<|endoftext|>',
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      },
    ],
    normalizer: { type: 'NFC' },
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: merges.map(([a, b]) => `${a} ${b}`),
    },
  });
}

function writeTokenizer(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dj-hftok-'));
  const path = join(dir, 'tokenizer.json');
  writeFileSync(path, tinyTokenizerJson());
  return path;
}

describe('alphanumeric_filter with tokenization: true (alpha_token_ratio)', () => {
  it('counts letters per token: hand-computed on two texts', async () => {
    const path = writeTokenizer();
    const f = await createOpAsync<Filter>('alphanumeric_filter', { tokenization: true, tokenizer_path: path });
    expect(f.statKey).toBe('alpha_token_ratio');
    // "the" -> th, the (1 token); " hello" -> Ġ h e l l o -> ll -> ell -> hell -> hello: Ġ, hello (2). 8 letters.
    expect(f.computeStat('the hello')).toBe(8 / 3);
    // 中 is merged from its 3 bytes, 文 stays 3 byte tokens: 4 tokens, 2 letters.
    expect(f.computeStat('中文')).toBe(2 / 4);
    expect(f.computeStat('')).toBe(0);
    expect(f.run({ text: 'the hello' }).sample.__dj__stats__).toEqual({ alpha_token_ratio: 8 / 3 });
    // The folder works too.
    const byDir = await HfTokenizer.load(join(path, '..'));
    expect(byDir.countTokens('the hello')).toBe(3);
  });

  it('token counts equal the Hugging Face Rust tokenizers binding', async () => {
    const path = writeTokenizer();
    const ours = await HfTokenizer.load(path);
    const { Tokenizer } = createRequire(import.meta.url)('tokenizers') as {
      Tokenizer: {
        fromFile(p: string): {
          encode(t: string, pair: null, o: { addSpecialTokens: boolean }): Promise<{ getIds(): number[] }>;
        };
      };
    };
    const ref = Tokenizer.fromFile(path);
    const texts = [
      'the hello',
      "Hello, world!  It's 2024: the hello-hello   test\n\n\ttabs ",
      '中文混合 text 中中 with 123456 digits',
      'emoji 😀🇨🇳 and accents: café, naïve, e\u0301',
      'two<|endoftext|>docs',
      '   leading and trailing   ',
    ];
    for (const t of texts) {
      const want = (await ref.encode(t, null, { addSpecialTokens: false })).getIds().length;
      expect(ours.countTokens(t), JSON.stringify(t)).toBe(want);
    }
  });

  it('needs tokenizer_path, loads it first, and names a missing file', async () => {
    expect(() => createOp('alphanumeric_filter', { tokenization: true })).toThrow(
      /^alphanumeric_filter\.tokenizer_path: required when tokenization is true/,
    );
    const f = createOp<Filter>('alphanumeric_filter', { tokenization: true, tokenizer_path: writeTokenizer() });
    expect(() => f.computeStat('x')).toThrow('alphanumeric_filter: await op.prepare() first');
    const bad = createOp('alphanumeric_filter', { tokenization: true, tokenizer_path: '/nope/tokenizer.json' });
    await expect(bad.prepare()).rejects.toThrow(
      'alphanumeric_filter.tokenizer_path: no such file or folder: /nope/tokenizer.json',
    );
    // Without tokenization the stat is still alnum_ratio.
    expect(createOp<Filter>('alphanumeric_filter').statKey).toBe('alnum_ratio');
  });
});
