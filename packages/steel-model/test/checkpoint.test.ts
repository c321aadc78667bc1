import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bf16ToF32,
  CheckpointError,
  f16ToF32,
  f32ToBf16,
  f32ToF16,
  initModelFolder,
  initWeights,
  loadConfig,
  loadModelFolder,
  ModelWeights,
  parameterSpecs,
  presetConfig,
  saveModelFolder,
  WEIGHTS_INDEX_FILE,
} from '../src/index.js';
import { CASES, FIXTURES } from './fixtures.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'steel-ckpt-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const tiny = presetConfig('steel-micro');

describe('HF-style folders', () => {
  it('init writes config.json, generation_config.json and model.safetensors that load back exactly', async () => {
    const dir = path.join(tmp, 'tiny');
    const saved = await initModelFolder(dir, tiny, { seed: 5 });
    expect(saved.files).toEqual(['config.json', 'generation_config.json', 'model.safetensors']);
    expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'generation_config.json', 'model.safetensors']);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]); // temp folder renamed away
    const loaded = await loadModelFolder(dir);
    expect(loaded.config).toEqual(tiny);
    expect(loaded.generationConfig).toEqual({ eos_token_id: 1 });
    expect(loaded.unexpected).toEqual([]);
    const expected = initWeights(tiny, 5);
    for (const [name, values] of expected) expect(loaded.weights.get(name), name).toEqual(values);
  });

  it('shards above maxShardBytes with an HF index, and reads shards back', async () => {
    const dir = path.join(tmp, 'sharded');
    const weights = initWeights(tiny, 6);
    const saved = await saveModelFolder(dir, tiny, weights, { maxShardBytes: 200_000 });
    const shards = saved.files.filter((f) => f.endsWith('.safetensors'));
    expect(shards.length).toBeGreaterThan(2);
    expect(shards[0]).toMatch(/^model-00001-of-0000\d\.safetensors$/);
    const index = JSON.parse(fs.readFileSync(path.join(dir, WEIGHTS_INDEX_FILE), 'utf8'));
    expect(Object.keys(index.weight_map).sort()).toEqual(
      parameterSpecs(tiny)
        .map((s) => s.name)
        .sort(),
    );
    expect(index.metadata.total_size).toBe(
      parameterSpecs(tiny).reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1) * 4, 0),
    );
    const loaded = await loadModelFolder(dir);
    for (const [name, values] of weights) expect(loaded.weights.get(name), name).toEqual(values);
  });

  it('bf16 storage rounds each value to the nearest bfloat16 and records torch_dtype', async () => {
    const dir = path.join(tmp, 'bf16');
    const weights = initWeights(tiny, 9);
    await saveModelFolder(dir, tiny, weights, { dtype: 'BF16' });
    const w = await ModelWeights.open(dir);
    try {
      expect(w.dtype('lm_head.weight')).toBe('BF16');
      const back = await w.read('lm_head.weight');
      const orig = weights.get('lm_head.weight')!;
      for (let i = 0; i < 100; i++) expect(back[i]).toBe(bf16ToF32(f32ToBf16(orig[i]!)));
    } finally {
      await w.close();
    }
    expect((await loadConfig(dir)).torch_dtype).toBe('bfloat16');
  });

  it('f16 storage rounds each value to the nearest float16', async () => {
    const dir = path.join(tmp, 'f16');
    const weights = initWeights(tiny, 10);
    await saveModelFolder(dir, tiny, weights, { dtype: 'F16' });
    const loaded = await loadModelFolder(dir);
    const orig = weights.get('model.layers.0.mlp.phi')!;
    const back = loaded.weights.get('model.layers.0.mlp.phi')!;
    for (let i = 0; i < orig.length; i++) expect(back[i]).toBe(Math.fround(f16ToF32(f32ToF16(orig[i]!))));
    expect(loaded.config.torch_dtype).toBe('float16');
  });

  it('refuses to overwrite a non-empty folder unless asked, and replaces it when asked', async () => {
    const dir = path.join(tmp, 'exists');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'keep.txt'), 'x');
    await expect(initModelFolder(dir, tiny)).rejects.toThrow(/already exists and is not empty/);
    expect(fs.readdirSync(dir)).toEqual(['keep.txt']);
    await initModelFolder(dir, tiny, { overwrite: true });
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, 'x');
    await expect(initModelFolder(file, tiny, { overwrite: true })).rejects.toThrow(/exists and is not a folder/);
    expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'generation_config.json', 'model.safetensors']);
  });

  it('leaves nothing behind when a tensor cannot be produced', async () => {
    const dir = path.join(tmp, 'failing');
    const weights = initWeights(tiny, 1);
    weights.delete('model.norm.weight');
    await expect(saveModelFolder(dir, tiny, weights)).rejects.toThrow(/no weights given for model.norm.weight/);
    expect(fs.existsSync(dir)).toBe(false);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('failing'))).toEqual([]);
  });

  it('reports missing and mis-shaped tensors against the config', async () => {
    const dir = path.join(tmp, 'mismatch');
    await initModelFolder(dir, tiny);
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...cfg, num_hidden_layers: 3 }));
    await expect(loadModelFolder(dir)).rejects.toThrow(
      /35 parameter\(s\) missing from the weights: model.layers.2.self_attn/,
    );
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...cfg, vocab_size: 500 }));
    await expect(loadModelFolder(dir)).rejects.toThrow(
      /model.embed_tokens.weight has shape \[512,64\], the config needs \[500,64\]/,
    );
  });

  it('refuses an index that points outside the folder', async () => {
    const dir = path.join(tmp, 'hostile-index');
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, WEIGHTS_INDEX_FILE),
      JSON.stringify({ weight_map: { 'model.norm.weight': '../x.safetensors' } }),
    );
    await expect(ModelWeights.open(dir)).rejects.toThrow(CheckpointError);
    await expect(ModelWeights.open(dir)).rejects.toThrow(/is not a file name in the folder/);
    fs.writeFileSync(path.join(dir, WEIGHTS_INDEX_FILE), '{"weight_map": 3}');
    await expect(ModelWeights.open(dir)).rejects.toThrow(/weight_map is missing or not an object/);
  });

  it('says what is missing when a folder has no weights or no config', async () => {
    const dir = path.join(tmp, 'empty-folder');
    fs.mkdirSync(dir);
    await expect(ModelWeights.open(dir)).rejects.toThrow(/neither model.safetensors nor model.safetensors.index.json/);
    fs.writeFileSync(path.join(dir, 'pytorch_model.bin'), 'not read');
    await expect(ModelWeights.open(dir)).rejects.toThrow(
      /pytorch_model.bin \(PyTorch pickle\), which is not read here/,
    );
    fs.rmSync(path.join(dir, 'pytorch_model.bin'));
    await expect(loadModelFolder(dir)).rejects.toThrow(/config not found: .*empty-folder\/config.json/);
    await expect(loadConfig(path.join(tmp, 'nope', 'config.json'))).rejects.toThrow(/config not found/);
    await expect(loadConfig('steel-9b')).rejects.toThrow(
      /neither .* nor a preset \(steel-1b, steel-tiny, steel-small, steel-micro\)/,
    );
    expect(await loadConfig('steel-tiny')).toEqual(presetConfig('steel-tiny'));
  });

  it('loads every python-written fixture folder (tied lm_head absent from the file)', async () => {
    for (const name of CASES) {
      const m = await loadModelFolder(path.join(FIXTURES, name));
      expect(m.unexpected).toEqual([]);
      expect(m.weights.has('lm_head.weight')).toBe(!m.config.tie_word_embeddings);
    }
  });
});
