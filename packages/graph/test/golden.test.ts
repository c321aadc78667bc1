// A Steel/Qwen-style decoder block + LM-head loss against PyTorch (float64 golden fixture made by
// tools/fixtures/graph/make_block_fixture.py): loss and every gradient.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  attention,
  Graph,
  grad,
  lmHeadCrossEntropy,
  rmsNorm,
  rotary,
  rotaryTables,
  Session,
  tensor,
  type Value,
} from '../src/index.js';

interface Fixture {
  dims: { B: number; T: number; D: number; H: number; HD: number; I: number; V: number; eps: number };
  x: number[];
  labels: number[];
  cos: number[];
  sin: number[];
  params: Record<string, { shape: number[]; data: number[] }>;
  loss: number;
  grads: Record<string, number[]>;
  rope_f32: { positions: number; head_dim: number; theta: number; cos: number[]; sin: number[] };
}

const fx: Fixture = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../../tools/fixtures/graph/block_fixture.json', import.meta.url)), 'utf8'),
);

describe('golden: decoder block + LM-head cross-entropy vs PyTorch (float64)', () => {
  for (const [dtype, optimization, tol] of [
    ['float64', 'basic', 1e-12],
    // float32 at the default 'all' level exercises ORT's fusions (FusedMatMul, QuickGelu, layer-norm fusions);
    // errors are relative to each gradient's largest entry: fp32 rounding through ~20 ops stays below 1e-5
    ['float32', 'all', 1e-5],
  ] as const) {
    it(`matches loss and all gradients (${dtype}, optimization ${optimization})`, async () => {
      const { B, T, D, H, HD, V, eps } = fx.dims;
      const g = new Graph('golden_block');
      const x = g.input('x', dtype, ['batch', 'seq', D]);
      const labels = g.input('labels', 'int64', ['batch', 'seq']);
      const cos = g.input('cos', dtype, ['seq', HD]);
      const sin = g.input('sin', dtype, ['seq', HD]);
      const P: Record<string, Value> = {};
      for (const [name, p] of Object.entries(fx.params)) P[name] = g.param(name, p.shape, { dtype });
      const linear = (v: Value, w: string, b?: string) => {
        const y = g.matmul(v, g.transpose(P[w]!));
        return b ? g.add(y, P[b]!) : y;
      };
      const heads = (v: Value) => g.transpose(g.reshape(v, [0, 0, H, HD]), [0, 2, 1, 3]);
      const a = rmsNorm(x, P.in_norm!, eps);
      const q = rotary(heads(linear(a, 'q_w', 'q_b')), cos, sin);
      const k = rotary(heads(linear(a, 'k_w', 'k_b')), cos, sin);
      const v = heads(linear(a, 'v_w', 'v_b'));
      const o = g.reshape(g.transpose(attention(q, k, v, { causal: true }), [0, 2, 1, 3]), [0, 0, D]);
      const h = g.add(x, linear(o, 'o_w'));
      const m = rmsNorm(h, P.post_norm!, eps);
      const y = g.add(h, linear(g.mul(g.silu(linear(m, 'gate_w')), linear(m, 'up_w')), 'down_w'));
      const f = g.reshape(rmsNorm(y, P.final_norm!, eps), [-1, D]);
      const loss = lmHeadCrossEntropy(f, P.lm_head!, g.reshape(labels, [-1]), { chunks: 3 });
      g.output(loss, 'loss');
      const names = Object.keys(fx.params);
      const grads = grad(loss, [...names.map((n) => P[n]!), x]);
      [...names, 'x'].forEach((n, i) => {
        g.output(grads[i]!, `grad_${n}`);
      });

      // float64 has no QuickGelu kernel, so the SiLU fusion is avoided with 'basic' optimization
      const s = await Session.create(g, { optimization });
      const arr = (v: number[]) => (dtype === 'float64' ? Float64Array.from(v) : Float32Array.from(v));
      const feeds: Record<string, ReturnType<typeof tensor>> = {
        x: tensor(arr(fx.x), [B, T, D]),
        labels: tensor(BigInt64Array.from(fx.labels.map(BigInt)), [B, T]),
        cos: tensor(arr(fx.cos), [T, HD]),
        sin: tensor(arr(fx.sin), [T, HD]),
      };
      for (const [n, p] of Object.entries(fx.params)) feeds[n] = tensor(arr(p.data), p.shape);
      const { outputs } = await s.run(feeds);
      expect(Math.abs(Number(outputs.loss!.data[0]) - fx.loss) / fx.loss).toBeLessThan(tol);
      for (const n of [...names, 'x']) {
        const got = outputs[`grad_${n}`]!.data as Float64Array | Float32Array;
        const want = fx.grads[n]!;
        expect(got.length, n).toBe(want.length);
        const maxErr = Math.max(...want.map((w, i) => Math.abs(w - got[i]!)));
        const scale = Math.max(...want.map(Math.abs));
        expect(maxErr / scale, `grad of ${n}`).toBeLessThan(tol);
      }
      expect(V).toBe(fx.params.lm_head!.shape[0]);
    });
  }

  it('rotaryTables matches HF float32 tables (theta 1e6)', () => {
    const r = fx.rope_f32;
    const { cos, sin } = rotaryTables(r.positions, r.head_dim, r.theta);
    // tables are float32; torch's fp32 cos/sin vs JS double rounded to fp32 differ by an ulp at most
    for (let i = 0; i < cos.length; i++) {
      expect(Math.abs(cos[i]! - r.cos[i]!)).toBeLessThan(2e-7);
      expect(Math.abs(sin[i]! - r.sin[i]!)).toBeLessThan(2e-7);
    }
  });
});
