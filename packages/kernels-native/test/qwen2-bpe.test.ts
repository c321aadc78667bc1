import { describe, expect, it } from 'vitest';
import {
  byteLevelAlphabet,
  createQwen2BpeKernel,
  KernelError,
  nativeKernelsStatus,
  type Qwen2BpeKernel,
  type Qwen2BpeTables,
  qwen2BpeTablesFromVocab,
} from '../src/index.js';

const status = nativeKernelsStatus();
if (!status.available) console.warn(`C++ kernels not available (${status.reason}): only the JS fallback is tested`);
const kernels = (tables: Qwen2BpeTables): Qwen2BpeKernel[] => [
  createQwen2BpeKernel(tables, { implementation: 'js' }),
  ...(status.available ? [createQwen2BpeKernel(tables, { implementation: 'cpp' })] : []),
];

const alphabet = byteLevelAlphabet();
const byteToken = (s: string) => [...new TextEncoder().encode(s)].map((b) => alphabet[b]).join('');

/** A byte-level vocabulary (byte b has id b) plus merges given as plain-text pairs. */
function smallVocab(merges: Array<[string, string]>) {
  const vocab: Record<string, number> = {};
  alphabet.forEach((ch, b) => {
    vocab[ch] = b;
  });
  const pairs = merges.map(([a, b]) => [byteToken(a), byteToken(b)] as [string, string]);
  for (const [a, b] of pairs) vocab[a + b] ??= Object.keys(vocab).length;
  return { vocab, merges: pairs };
}

function docs({ ids, ends }: { ids: Int32Array; ends: Uint32Array }): number[][] {
  return [...ends].map((end, i) => [...ids.subarray(i > 0 ? ends[i - 1]! : 0, end)]);
}

describe('byte-level tables', () => {
  it("GPT-2's alphabet: printable bytes stand for themselves, space is Ġ (U+0120)", () => {
    expect(new Set(alphabet).size).toBe(256);
    expect(alphabet[0x41]).toBe('A');
    expect(alphabet[0x20]).toBe('Ġ');
    expect(alphabet[0x0a]).toBe('Ċ');
    expect(alphabet[0xe4]).toBe('ä');
  });

  it('turns merges into id triples and names what is missing', () => {
    const { vocab, merges } = smallVocab([['a', 'b']]);
    const tables = qwen2BpeTablesFromVocab(vocab, merges);
    expect([...tables.merges]).toEqual([97, 98, 256]);
    expect(tables.byteIds[0x20]).toBe(0x20);
    expect([...qwen2BpeTablesFromVocab(vocab, ['a b']).merges]).toEqual([97, 98, 256]);
    expect(() => qwen2BpeTablesFromVocab(vocab, ['a c'])).toThrow(
      /merges\[0\] \("a" \+ "c"\): "ac" not in the vocabulary/,
    );
    expect(() => qwen2BpeTablesFromVocab(vocab, ['abc'])).toThrow(/not two tokens separated by one space/);
  });
});

describe('BPE by merge rank (hand-computed)', () => {
  // ranks: ab 0, abc 1, bc 2, aa 3
  const { vocab, merges } = smallVocab([
    ['a', 'b'],
    ['ab', 'c'],
    ['b', 'c'],
    ['a', 'a'],
  ]);
  const ab = vocab[byteToken('ab')]!;
  const abc = vocab[byteToken('abc')]!;
  const bc = vocab[byteToken('bc')]!;
  const aa = vocab[byteToken('aa')]!;
  const cases: Array<[string, number[]]> = [
    ['abc', [abc]], // ab (rank 0) before bc (rank 2), then ab+c
    ['bc', [bc]],
    ['aaa', [aa, 97]], // equal ranks: the leftmost pair first
    ['aaaa', [aa, aa]],
    ['abca', [abc, 97]],
    ['xbc', [120, bc]],
    ['', []],
  ];
  for (const heapFromBytes of [0, 1_000_000]) {
    it(`gives the lowest-rank-first result (${heapFromBytes === 0 ? 'heap' : 'rescan'} path)`, async () => {
      for (const k of kernels(qwen2BpeTablesFromVocab(vocab, merges))) {
        const again = createQwen2BpeKernel(qwen2BpeTablesFromVocab(vocab, merges), {
          implementation: k.implementation,
          heapFromBytes,
        });
        const got = docs(await again.encode(cases.map((c) => c[0])));
        expect(got, k.implementation).toEqual(cases.map((c) => c[1]));
        expect(ab).toBe(256);
      }
    });
  }

  it('a later duplicate merge overrides the earlier rank, and a byte without a token is dropped (as HF)', async () => {
    // HF: merges [a b, b c, a b] encode "abc" as a + bc (the pair a b now has rank 2).
    const dup = smallVocab([
      ['a', 'b'],
      ['b', 'c'],
      ['a', 'b'],
    ]);
    const tables = qwen2BpeTablesFromVocab(dup.vocab, dup.merges);
    for (const k of kernels(tables)) expect(docs(k.encodeSync(['abc']))).toEqual([[97, dup.vocab[byteToken('bc')]!]]);
    // HF without an unk token skips a character that is not in the vocabulary; its neighbours then merge.
    tables.byteIds[0x7a] = -1; // z
    for (const k of kernels(tables)) {
      expect(docs(k.encodeSync(['azb'])), k.implementation).toEqual([[dup.vocab[byteToken('ab')]!]]);
    }
  });
});

describe("Qwen2's pre-tokenizer (cases derived by hand from the regex)", () => {
  const { vocab, merges } = smallVocab([]);
  const cases: Array<[string, string[]]> = [
    ['Hello world!', ['Hello', ' world', '!']],
    ["it's IT'S we'LL they'Re 'K", ['it', "'s", ' IT', "'S", ' we', "'LL", ' they', "'Re", " '", 'K']],
    ["'\u017F'sa", ["'\u017F", "'s", 'a']], // (?i) folds s with ſ; the contraction wins over \p{L}+
    ['a  b', ['a', ' ', ' b']], // \s+(?!\S) leaves the last space to the word
    ['a \n\n b', ['a', ' \n\n', ' b']], // \s*[\r\n]+ ends at the last newline of the run
    ['x   ', ['x', '   ']], // white space at the end stays whole
    ['x\t\ty', ['x', '\t', '\ty']],
    ['12.5%', ['1', '2', '.', '5', '%']],
    ['??!\r\n\r\nabc', ['??!\r\n\r\n', 'abc']],
    [' ?? x', [' ??', ' x']],
    ['中文，测试。', ['中文', '，测试', '。']], // one leading non-letter joins the letters
    ['\u0085x \uFEFFy', ['\u0085x', ' \uFEFF', 'y']], // U+0085 is white space for Rust, U+FEFF is not
    ['\uFEFFy', ['\uFEFFy']],
    ['\uFEFF\uFEFF', ['\uFEFF\uFEFF']],
    ['a\u00A0\u00A0b', ['a', '\u00A0', '\u00A0b']],
    ['\r\n', ['\r\n']],
    ['e\u0301', ['e', '\u0301']], // a combining mark is not \p{L}
    ['', []],
  ];
  for (const [text, pieces] of cases) {
    it(JSON.stringify(text), () => {
      for (const k of kernels(qwen2BpeTablesFromVocab(vocab, merges))) {
        expect(k.preTokenize(text), k.implementation).toEqual(pieces);
      }
    });
  }
});

// A seeded generator over characters that exercise every branch of the pre-tokenizer.
function fuzzStrings(count: number, seed: number): string[] {
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return s / 2 ** 32;
  };
  const alphabet = [
    ' ',
    ' ',
    '  ',
    '\t',
    '\n',
    '\r',
    '\r\n',
    "'",
    "'s",
    "'S",
    "'ll",
    "'Re",
    '\u017F',
    'a',
    'b',
    'c',
    'ab',
    'abc',
    'Hello',
    'IT',
    '1',
    '2',
    '0',
    '.',
    ',',
    '!',
    '?',
    '#',
    '{',
    '}',
    '中',
    '文',
    '的',
    '，',
    '。',
    '😀',
    '👩‍👩‍👧',
    '\u0085',
    '\u00A0',
    '\uFEFF',
    '\u3000',
    '\u2028',
    '\u0301',
    'é',
    '\u00AD',
    'Ω',
    'ж',
    '\u0660',
    '²',
    '\uA7CE',
  ];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let t = '';
    const n = Math.floor(rand() * 24);
    for (let k = 0; k < n; k++) t += alphabet[Math.floor(rand() * alphabet.length)];
    out.push(t);
  }
  return out;
}

/** A small trained-like vocabulary: 300 most-frequent-pair merges over pre-tokenized sample text. */
function trainedTables(corpus: string[]): Qwen2BpeTables {
  const js = createQwen2BpeKernel(qwen2BpeTablesFromVocab(smallVocab([]).vocab, []), { implementation: 'js' });
  const words = corpus.flatMap((t) => js.preTokenize(t)).map((p) => [...byteToken(p)]);
  const vocab: Record<string, number> = Object.fromEntries(alphabet.map((c, b) => [c, b]));
  const merges: Array<[string, string]> = [];
  for (let m = 0; m < 300; m++) {
    const counts = new Map<string, number>();
    for (const w of words)
      for (let k = 0; k + 1 < w.length; k++) {
        const key = `${w[k]}\u0000${w[k + 1]}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    let best: string | undefined;
    for (const [key, c] of counts)
      if (!best || c > counts.get(best)! || (c === counts.get(best)! && key < best)) best = key;
    if (!best) break;
    const [a, b] = best.split('\u0000') as [string, string];
    merges.push([a, b]);
    vocab[a + b] ??= Object.keys(vocab).length;
    for (const w of words) {
      for (let k = 0; k + 1 < w.length; k++) {
        if (w[k] === a && w[k + 1] === b) w.splice(k, 2, a + b);
      }
    }
  }
  return qwen2BpeTablesFromVocab(vocab, merges);
}

describe('C++ kernel and JS fallback give identical results', () => {
  const corpus = fuzzStrings(3000, 42);
  const tables = trainedTables(
    fuzzStrings(400, 7).concat(['the cat sat on the mat', "we're done, aren't we", '中文的文本，中文的词。']),
  );

  it.runIf(status.available)('pre-tokenizer pieces on 3000 fuzzed strings', () => {
    const [js, cpp] = kernels(tables) as [Qwen2BpeKernel, Qwen2BpeKernel];
    for (const t of corpus) expect(cpp.preTokenize(t), JSON.stringify(t)).toEqual(js.preTokenize(t));
  });

  it.runIf(status.available)('ids on 3000 fuzzed strings, both merge paths, 1-4 threads', async () => {
    const reference = docs(createQwen2BpeKernel(tables, { implementation: 'js', heapFromBytes: 0 }).encodeSync(corpus));
    for (const heapFromBytes of [0, 8, 1_000_000]) {
      for (const implementation of ['js', 'cpp'] as const) {
        const k = createQwen2BpeKernel(tables, { implementation, heapFromBytes });
        for (const threads of implementation === 'cpp' ? [1, 2, 4] : [1]) {
          expect(docs(await k.encode(corpus, { threads })), `${implementation} ${heapFromBytes} ${threads}`).toEqual(
            reference,
          );
        }
      }
    }
    expect(reference.flat().some((id) => id >= 256)).toBe(true); // the merges were used
  });

  it('pieces concatenate back to the text', () => {
    for (const k of kernels(tables)) for (const t of corpus.slice(0, 500)) expect(k.preTokenize(t).join('')).toBe(t);
  });

  it.runIf(status.available)('a long single piece (heap path) and lone surrogates (become U+FFFD)', async () => {
    const [js, cpp] = kernels(tables) as [Qwen2BpeKernel, Qwen2BpeKernel];
    const long = ['中文的'.repeat(20_000), `${'ab'.repeat(50_000)} x`, 'bad \uD800 pair \uDC00'];
    expect(docs(await cpp.encode(long, { threads: 2 }))).toEqual(docs(await js.encode(long)));
  });
});

describe('errors', () => {
  const tables = qwen2BpeTablesFromVocab(smallVocab([]).vocab, []);
  it('names the bad argument', async () => {
    for (const k of kernels(tables)) {
      expect(() => k.encodeSync(['a', 3 as unknown as string])).toThrow(/segments\[1\] must be a string, got number/);
      expect(() => k.encodeSync(['a'], { threads: 0 })).toThrow(/threads must be an integer from 1 to 1024, got 0/);
      expect(() => k.encodeSync('abc' as unknown as string[])).toThrow(KernelError);
    }
    expect(() => createQwen2BpeKernel({ byteIds: new Int32Array(3), merges: new Int32Array(0) })).toThrow(
      /byteIds must be an Int32Array of 256 ids/,
    );
    expect(() => createQwen2BpeKernel(tables, { implementation: 'gpu' as 'js' })).toThrow(/'auto', 'cpp' or 'js'/);
  });

  it.runIf(status.available)('the C++ side refuses ids it cannot hold', () => {
    const bad = { byteIds: tables.byteIds, merges: new Int32Array([1, 2, 1 << 21]) };
    expect(() => createQwen2BpeKernel(bad, { implementation: 'cpp' })).toThrow(/merge 0 has an id above/);
  });

  it('reports whether the addon is in use', () => {
    expect(typeof status.available).toBe('boolean');
    expect(status.path).toMatch(/steel_kernels\.node$/);
  });
});
