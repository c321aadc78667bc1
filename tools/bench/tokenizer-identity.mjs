// Manual check (not a test): ids of the native engine (HF Rust `tokenizers`, the reference) and the pure-JS engine
// are identical on every string field of every record of the given files/folders; decode round-trips to NFC.
// Usage: node tools/bench/tokenizer-identity.mjs <file|dir>... [--variant qwen1.5|qwen3] [--allow-special]
// Prints one JSON object: per source file {records, strings, bytes, tokens, mismatches, roundTripFailures}.
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
const js = await loadTokenizer({ variant, engine: 'js' });
const files = await listDatasetFiles(inputs);
const perFile = [];
const examples = [];
for (const file of files) {
  const s = { file, records: 0, strings: 0, bytes: 0, tokens: 0, mismatches: 0, roundTripFailures: 0 };
  for await (const batch of readDataset(file)) {
    const texts = [];
    for (const rec of recordsFromBatch(batch)) {
      s.records++;
      for (const t of strings(rec)) texts.push(t);
    }
    const a = await native.encodeBatch(texts, { allowSpecial });
    const b = await js.encodeBatch(texts, { allowSpecial });
    texts.forEach((t, i) => {
      s.strings++;
      s.bytes += Buffer.byteLength(t);
      s.tokens += a[i].length;
      const same = a[i].length === b[i].length && a[i].every((x, k) => x === b[i][k]);
      if (!same) {
        s.mismatches++;
        if (examples.length < 5) examples.push({ file, text: t.slice(0, 200) });
      }
      if (native.decode(a[i]) !== toWellFormed(t).normalize('NFC')) s.roundTripFailures++;
    });
  }
  perFile.push(s);
  process.stderr.write(`${file}: ${s.strings} strings, ${s.mismatches} mismatches\n`);
}
const total = perFile.reduce(
  (t, s) => ({
    records: t.records + s.records,
    strings: t.strings + s.strings,
    bytes: t.bytes + s.bytes,
    tokens: t.tokens + s.tokens,
    mismatches: t.mismatches + s.mismatches,
    roundTripFailures: t.roundTripFailures + s.roundTripFailures,
  }),
  { records: 0, strings: 0, bytes: 0, tokens: 0, mismatches: 0, roundTripFailures: 0 },
);
process.stdout.write(`${JSON.stringify({ variant, allowSpecial, total, files: perFile, examples })}\n`);
