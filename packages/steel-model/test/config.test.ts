import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  configToJson,
  dims,
  PRESETS,
  parseConfig,
  presetConfig,
  type SteelConfig,
  SteelConfigError,
  validateConfig,
} from '../src/index.js';

const fixtures = path.join(import.meta.dirname, 'fixtures');

describe('presets', () => {
  it('steel-1b is the released config.json of spec §1.1', () => {
    const c = presetConfig('steel-1b');
    expect(c).toMatchObject({
      hidden_size: 1792,
      intermediate_size: 1792,
      mlp_div_ratio: 4,
      num_hidden_layers: 18,
      num_attention_heads: 32,
      num_key_value_heads: 32,
      vocab_size: 151936,
      rope_theta: 1e6,
      rms_norm_eps: 1e-6,
      max_position_embeddings: 32768,
      tie_word_embeddings: false,
      bos_token_id: 151643,
      eos_token_id: 151645,
      FFN_type: 'softmoe_v3',
      mlp_type: 'senet',
      n_experts: 6,
      slots_per_expert: 1,
      model_type: 'qwen2',
      torch_dtype: 'bfloat16',
      initializer_range: 0.02,
    });
    expect(dims(c)).toEqual({ headDim: 56, kvGroups: 1, kvDim: 1792, innerSize: 448, experts: 6, slots: 1 });
  });

  it('every preset validates; unknown preset names are listed', () => {
    for (const name of Object.keys(PRESETS)) expect(() => presetConfig(name)).not.toThrow();
    expect(() => presetConfig('steel-7b')).toThrow(/steel-1b, steel-tiny, steel-small/);
  });
});

describe('parseConfig', () => {
  it('reads the python-written fixture config and keeps unknown keys for the round trip', () => {
    const json = JSON.parse(fs.readFileSync(path.join(fixtures, 'v3-gqa-slots', 'config.json'), 'utf8'));
    const c = parseConfig(json);
    expect(c.extra).toEqual({ my_custom_key: { kept: true } });
    expect(dims(c)).toMatchObject({ headDim: 8, kvGroups: 2, kvDim: 16, innerSize: 16, experts: 3, slots: 2 });
    const back = configToJson(c);
    expect(back).toEqual(json);
    expect(parseConfig(back)).toEqual(c);
  });

  it('fills HF Qwen2 defaults for missing keys (num_key_value_heads = num_attention_heads)', () => {
    const c = parseConfig({
      FFN_type: 'raw',
      mlp_type: 'raw',
      mlp_div_ratio: 1,
      num_attention_heads: 8,
      hidden_size: 64,
    });
    expect(c.num_key_value_heads).toBe(8);
    expect(c.rope_theta).toBe(10000);
    expect(c.num_hidden_layers).toBe(32);
    expect(c.slots_per_expert).toBe(1);
  });

  it('requires the Steel-only keys', () => {
    expect(() => parseConfig({ mlp_type: 'senet', mlp_div_ratio: 4 })).toThrow(/config\.FFN_type .*Steel-specific/);
    expect(() => parseConfig([])).toThrow(SteelConfigError);
  });
});

describe('validateConfig messages name the field, the value and what is allowed', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['heads not dividing hidden', { num_attention_heads: 5 }, /num_attention_heads = 5 .*divisor of hidden_size 64/],
    ['odd head_dim', { hidden_size: 60, num_attention_heads: 4 }, /even head_dim.*60 \/ 4 = 15/],
    ['kv heads', { num_key_value_heads: 3 }, /num_key_value_heads = 3 .*divisor of num_attention_heads 4/],
    ['FFN type', { FFN_type: 'moe' }, /FFN_type = "moe" .*raw, softmoe_v1, softmoe_v2, softmoe_v3/],
    ['mlp type', { mlp_type: 'gelu' }, /mlp_type = "gelu" .*raw, senet/],
    ['activation', { hidden_act: 'gelu' }, /hidden_act = "gelu" .*silu/],
    ['inner width', { mlp_div_ratio: 1000 }, /mlp_div_ratio = 1000 .*intermediate_size 128/],
    ['experts', { n_experts: 0 }, /n_experts = 0 .*positive integer/],
    ['eos id', { eos_token_id: 512 }, /eos_token_id = 512 .*\[0, 511\]/],
    ['eps', { rms_norm_eps: 0 }, /rms_norm_eps = 0 .*> 0/],
    ['vocab', { vocab_size: 1.5 }, /vocab_size = 1.5 .*positive integer/],
    ['sliding window', { use_sliding_window: true }, /use_sliding_window .*not implemented/],
  ];
  for (const [label, patch, message] of cases) {
    it(label, () => {
      const c = { ...presetConfig('steel-micro'), ...patch } as SteelConfig;
      expect(() => validateConfig(c)).toThrow(message);
    });
  }

  it('n_experts is not needed for FFN_type raw', () => {
    const c = parseConfig({
      FFN_type: 'raw',
      mlp_type: 'senet',
      mlp_div_ratio: 4,
      hidden_size: 64,
      num_attention_heads: 4,
    });
    expect(dims(c).experts).toBe(0);
  });
});
