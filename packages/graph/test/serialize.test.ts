import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Graph, Session, saveModel, serialize, tensor, toModel } from '../src/index.js';

function bakedGraph() {
  const g = new Graph();
  const x = g.input('x', 'float32', ['n', 3]);
  const w = g.param('w', [3, 2], { init: Float32Array.from([1, 2, 3, 4, 5, 6]) });
  const big = g.constant(new Float32Array(5000).fill(0.5), [5000], 'float32', 'big');
  g.output(g.add(g.matmul(x, w), g.reduceSum(big, 0)), 'y');
  return g;
}

describe('serialization', () => {
  it('bakes params as initializers and moves big tensors to external data (file and memory)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'steel-graph-'));
    const path = join(dir, 'm.onnx');
    const { dataBytes } = saveModel(bakedGraph(), path, { paramsAs: 'initializers', externalThreshold: 1000 });
    expect(dataBytes).toBe(20000);
    expect(readdirSync(dir).sort()).toEqual(['m.onnx', 'm.onnx.data']);
    expect(statSync(path).size).toBeLessThan(2000);
    const x = tensor(Float32Array.from([1, 0, 0, 0, 1, 1]), [2, 3]);
    const want = [1 + 2500, 2 + 2500, 3 + 5 + 2500, 4 + 6 + 2500];
    const fromFile = await Session.create(path);
    expect(Array.from((await fromFile.run({ x })).outputs.y!.data as Float32Array)).toEqual(want);
    const inMemory = await Session.create(bakedGraph(), {
      model: { paramsAs: 'initializers', externalThreshold: 1000 },
    });
    expect(Array.from((await inMemory.run({ x })).outputs.y!.data as Float32Array)).toEqual(want);
  });

  it('feeds params as inputs by default and refuses to bake params without init', () => {
    const g = new Graph();
    const w = g.param('w', [2]);
    g.output(g.mul(w, 2), 'y');
    expect(toModel(g).model.graph!.input!.map((i) => i.name)).toEqual(['w']);
    expect(() => serialize(g, { paramsAs: 'initializers' })).toThrow("param 'w' has no init");
  });

  it('round-trips float16 in and out as Uint16Array', async () => {
    const g = new Graph();
    const x = g.input('x', 'float16', [3]);
    g.output(g.cast(g.mul(g.cast(x, 'float32'), 2), 'float16'), 'y');
    const s = await Session.create(g);
    const { toHalfBits, fromHalfBits } = await import('../src/index.js');
    const r = await s.run({ x: tensor(Uint16Array.from([1.5, -2, 0.25].map(toHalfBits)), [3], 'float16') });
    expect(Array.from(r.outputs.y!.data as Uint16Array, fromHalfBits)).toEqual([3, -4, 0.5]);
  });

  it("gives a clear error for ep 'cuda' when the CUDA provider is missing", async () => {
    const g = new Graph();
    g.output(g.mul(g.input('x', 'float32', [1]), 2), 'y');
    const { cudaAvailable } = await import('../src/index.js');
    if (cudaAvailable()) return;
    await expect(Session.create(g, { ep: 'cuda' })).rejects.toThrow(
      /CUDA 12 provider libraries.*ONNXRUNTIME_NODE_INSTALL_CUDA/,
    );
  });
});
