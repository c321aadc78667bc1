// Helpers for the python-written golden fixtures (tools/fixtures/steel-model/make_golden.py).
import fs from 'node:fs';
import path from 'node:path';
import { SafetensorsFile } from '../src/index.js';

export const FIXTURES = path.join(import.meta.dirname, 'fixtures');
export const CASES = ['steel-tiny', 'v3-gqa-slots', 'v1-raw', 'v2-senet', 'raw-tied', 'v3-causal'] as const;

export interface Expected {
  case: string;
  storage_dtype: string;
  ids: number[];
  prefill: number;
  loss: number;
  grad_norms: Record<string, number>;
}

export function expectedJson(name: string): Expected {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name, 'expected.json'), 'utf8'));
}

export async function expectedTensors(name: string): Promise<Map<string, Float32Array>> {
  const file = await SafetensorsFile.open(path.join(FIXTURES, name, 'expected.safetensors'));
  try {
    const out = new Map<string, Float32Array>();
    for (const t of file.tensors) out.set(t.name, await file.readFloat32(t.name));
    return out;
  } finally {
    await file.close();
  }
}

/** max |a - b| / max |b|: the relative error measure the goldens are held to. */
export function relMaxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}
