import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  countParameters,
  initParameter,
  initWeights,
  loadConfig,
  numel,
  parameterSpecs,
  presetConfig,
  Rng,
  SafetensorsFile,
} from '../src/index.js';
import { CASES, FIXTURES } from './fixtures.js';

describe('parameter table', () => {
  it('steel-1b has the 633 tensors and 1,122,922,770 parameters of spec §1.10', () => {
    const c = presetConfig('steel-1b');
    const count = countParameters(c);
    expect(count.tensors).toBe(633);
    expect(count.total).toBe(1_122_922_770);
    expect(count.embeddings).toBe(272_269_312);
    expect(count.lmHead).toBe(272_269_312);
    // per layer: attention 12,850,432 + experts 19,267,584 + router 10,753 + norms 3,584 = 32,132,353
    expect((count.attention + count.ffn + count.norms - 1792) / 18).toBe(32_132_353);
    expect(count.attention / 18).toBe(12_850_432);
  });

  it('names and shapes steel-1b layer 0 exactly as the spec table', () => {
    const specs = new Map(parameterSpecs(presetConfig('steel-1b')).map((s) => [s.name, s.shape]));
    expect(specs.get('model.layers.0.self_attn.q_proj.bias')).toEqual([1792]);
    expect(specs.has('model.layers.0.self_attn.o_proj.bias')).toBe(false);
    expect(specs.get('model.layers.0.mlp.phi')).toEqual([1792, 6, 1]);
    expect(specs.get('model.layers.0.mlp.scale')).toEqual([1]);
    expect(specs.get('model.layers.17.mlp.experts.5.gate_up_proj.weight')).toEqual([448, 1792]);
    expect(specs.get('model.layers.17.mlp.experts.5.up_proj.weight')).toEqual([448, 1792]);
    expect(specs.get('model.layers.17.mlp.experts.5.gate_down_proj.weight')).toEqual([1792, 448]);
    expect(specs.get('model.layers.17.mlp.experts.5.down_proj.weight')).toEqual([1792, 448]);
    expect(specs.get('lm_head.weight')).toEqual([151936, 1792]);
  });

  // The torch model in make_golden.py names its parameters through nn.Module attributes as modeling_steel.py does;
  // its state dict must be exactly our table, for every FFN / MLP type.
  for (const name of CASES) {
    it(`matches the torch state dict of fixture ${name}`, async () => {
      const config = await loadConfig(path.join(FIXTURES, name));
      const file = await SafetensorsFile.open(path.join(FIXTURES, name, 'model.safetensors'));
      try {
        const fromTorch = Object.fromEntries(file.tensors.map((t) => [t.name, t.shape]));
        const ours = Object.fromEntries(parameterSpecs(config).map((s) => [s.name, s.shape]));
        expect(ours).toEqual(fromTorch);
      } finally {
        await file.close();
      }
    });
  }
});

function stats(v: Float32Array): { mean: number; std: number } {
  let s = 0;
  for (const x of v) s += x;
  const mean = s / v.length;
  let ss = 0;
  for (const x of v) ss += (x - mean) ** 2;
  return { mean, std: Math.sqrt(ss / v.length) };
}

describe('init (spec §1.11)', () => {
  const c = presetConfig('steel-micro');
  const w = initWeights(c, 7);

  it('Linear/Embedding N(0, 0.02^2), biases 0, RMSNorm 1, phi N(0, 1/d), scale 1', () => {
    const emb = stats(w.get('model.embed_tokens.weight')!);
    expect(Math.abs(emb.mean)).toBeLessThan(0.001);
    expect(emb.std).toBeGreaterThan(0.0195);
    expect(emb.std).toBeLessThan(0.0205);
    const phi = stats(w.get('model.layers.0.mlp.phi')!);
    expect(phi.std).toBeGreaterThan(0.125 * 0.9);
    expect(phi.std).toBeLessThan(0.125 * 1.1);
    expect([...w.get('model.layers.1.self_attn.k_proj.bias')!].every((x) => x === 0)).toBe(true);
    expect([...w.get('model.norm.weight')!].every((x) => x === 1)).toBe(true);
    expect([...w.get('model.layers.0.mlp.scale')!]).toEqual([1]);
  });

  it('is deterministic per (seed, name) and differs across seeds and names', () => {
    const spec = parameterSpecs(c).find((s) => s.name === 'lm_head.weight')!;
    expect(initParameter(spec, 7)).toEqual(w.get('lm_head.weight'));
    expect(initParameter(spec, 8)).not.toEqual(w.get('lm_head.weight'));
    expect(w.get('model.layers.0.self_attn.q_proj.weight')!.slice(0, 8)).not.toEqual(
      w.get('model.layers.1.self_attn.q_proj.weight')!.slice(0, 8),
    );
  });

  it('zeroes the padding row when pad_token_id is set (nn.Embedding padding_idx)', () => {
    const padded = { ...c, pad_token_id: 3 };
    const spec = parameterSpecs(padded)[0]!;
    const v = initParameter(spec, 1);
    expect(numel(spec.shape)).toBe(512 * 64);
    expect([...v.subarray(3 * 64, 4 * 64)].every((x) => x === 0)).toBe(true);
    expect(v[2 * 64]).not.toBe(0);
  });

  it('normal samples look standard normal (Ziggurat over sfc32)', () => {
    const big = initParameter({ name: 'x', shape: [200_000], init: { kind: 'normal', std: 1 } }, 1);
    const { mean, std } = stats(big);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(std - 1)).toBeLessThan(0.01);
    // about 68.3% within one sigma, 95.4% within two
    const within1 = big.filter((x) => Math.abs(x) < 1).length / big.length;
    const within2 = big.filter((x) => Math.abs(x) < 2).length / big.length;
    expect(Math.abs(within1 - 0.6827)).toBeLessThan(0.005);
    expect(Math.abs(within2 - 0.9545)).toBeLessThan(0.003);
  });
});

/** Standard normal CDF via erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

describe('Rng', () => {
  it('normals pass a Kolmogorov-Smirnov test and have normal tails and kurtosis (1M draws)', () => {
    const n = 1_000_000;
    const x = new Float64Array(n);
    new Rng(2024, 'ks').fillNormal(x, 1);
    let m4 = 0;
    let beyond35 = 0;
    let beyond4 = 0;
    for (const v of x) {
      m4 += v ** 4;
      if (Math.abs(v) > 3.5) beyond35++;
      if (Math.abs(v) > 4) beyond4++;
    }
    expect(Math.abs(m4 / n - 3)).toBeLessThan(0.05);
    expect(Math.abs(beyond35 - n * 4.6525e-4)).toBeLessThan(80); // sd ~ 22
    expect(Math.abs(beyond4 - n * 6.334e-5)).toBeLessThan(30); // sd ~ 8
    x.sort();
    let ks = 0;
    for (let i = 0; i < n; i += 97) ks = Math.max(ks, Math.abs((i + 0.5) / n - phi(x[i]!)));
    expect(ks).toBeLessThan(1.63 / Math.sqrt(n)); // KS critical value at the 1% level
  });

  it('fillNormal gives the same sequence as repeated normal() calls, across odd-length fills', () => {
    const a = new Rng(42, 'stream');
    const b = new Rng(42, 'stream');
    const filled = new Float64Array(11);
    a.fillNormal(filled.subarray(0, 3), 1);
    a.fillNormal(filled.subarray(3, 4), 1);
    a.fillNormal(filled.subarray(4), 1);
    const one = Float64Array.from({ length: 11 }, () => b.normal());
    expect(filled).toEqual(one);
  });
});
