// Manual check (not a test): ids of every engine equal those of the native engine (HF Rust `tokenizers`, the
// reference) on every string field of every record of the given files/folders; decode round-trips to NFC.
// Engines compared: js (@xenova/transformers), fast (Steel's C++ kernel, @steel/kernels-native) and fast-js (the
// same kernel's JavaScript fallback).
// Usage: node tools/bench/tokenizer-identity.mjs <file|dir>... [--variant qwen1.5|qwen3] [--allow-special] [--skip-js]
// Prints one JSON object: per source file {records, strings, bytes, tokens, mismatches: {engine: n}, roundTripFailures}.
import { listDatasetFiles, readDataset, recordsFromBatch } from '@steel/dataset';
import { loadTokenizer, toWellFormed } from '@steel/tokenizer';

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const value = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const variant = value('--variant', 'qwen1.5');
const allowSpecial = flag('--allow-special');
const inputs = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--variant');
if (inputs.length === 0) {
  process.stderr.write('usage: tokenizer-identity.mjs <file|dir>... [--variant qwen1.5|qwen3] [--allow-special]\n');
  process.exit(2);
}

function* strings(v) {
  if (typeof v === 'string') yield v;
  else if (Array.isArray(v)) for (const x of v) yield* strings(x);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) yield* strings(x);
}

const native = await loadTokenizer({ variant, engine: 'native' });
const others = {
  ...(flag('--skip-js') ? {} : { js: await loadTokenizer({ variant, engine: 'js' }) }),
  fast: await loadTokenizer({ variant, engine: 'fast' }),
  'fast-js': await loadTokenizer({ variant, engine: 'fast', kernel: 'js' }),
};
if (others.fast.kernel !== 'cpp')
  process.stderr.write('warning: the C++ kernel is not built; fast = its JS fallback\n');
const noMismatches = () => Object.fromEntries(Object.keys(others).map((k) => [k, 0]));
const files = await listDatasetFiles(inputs);
const perFile = [];
const examples = [];
for (const file of files) {
  const s = { file, records: 0, strings: 0, bytes: 0, tokens: 0, mismatches: noMismatches(), roundTripFailures: 0 };
  for await (const batch of readDataset(file)) {
    const texts = [];
    for (const rec of recordsFromBatch(batch)) {
      s.records++;
      for (const t of strings(rec)) texts.push(t);
    }
    const a = await native.encodeBatch(texts, { allowSpecial });
    const got = {};
    for (const [name, tok] of Object.entries(others)) got[name] = await tok.encodeBatch(texts, { allowSpecial });
    texts.forEach((t, i) => {
      s.strings++;
      s.bytes += Buffer.byteLength(t);
      s.tokens += a[i].length;
      for (const [name, ids] of Object.entries(got)) {
        const b = ids[i];
        const same = a[i].length === b.length && a[i].every((x, k) => x === b[k]);
        if (!same) {
          s.mismatches[name]++;
          if (examples.length < 5) examples.push({ file, engine: name, text: t.slice(0, 200) });
        }
      }
      if (native.decode(a[i]) !== toWellFormed(t).normalize('NFC')) s.roundTripFailures++;
    });
  }
  perFile.push(s);
  process.stderr.write(`${file}: ${s.strings} strings, mismatches ${JSON.stringify(s.mismatches)}\n`);
}
const total = perFile.reduce(
  (t, s) => ({
    records: t.records + s.records,
    strings: t.strings + s.strings,
    bytes: t.bytes + s.bytes,
    tokens: t.tokens + s.tokens,
    mismatches: Object.fromEntries(Object.keys(t.mismatches).map((k) => [k, t.mismatches[k] + s.mismatches[k]])),
    roundTripFailures: t.roundTripFailures + s.roundTripFailures,
  }),
  { records: 0, strings: 0, bytes: 0, tokens: 0, mismatches: noMismatches(), roundTripFailures: 0 },
);
const engines = Object.fromEntries(
  Object.entries(others).map(([k, tok]) => [k, { engine: tok.engine, kernel: tok.kernel }]),
);
process.stdout.write(`${JSON.stringify({ variant, allowSpecial, engines, total, files: perFile, examples })}\n`);
