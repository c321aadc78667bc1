// The architecture's one direction of dependencies, checked on the real package.json files.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../../..');

// Each package may import only the packages listed here (those below it in docs/architecture's picture).
const ALLOWED: Record<string, string[]> = {
  '@steel/kernels-native': [],
  '@steel/dataset': ['@steel/kernels-native'],
  '@steel/data-juicer-ts': ['@steel/dataset', '@steel/kernels-native'],
  '@steel/tokenizer': ['@steel/dataset', '@steel/kernels-native'],
  '@steel/graph': ['@steel/kernels-native'],
  '@steel/steel-model': ['@steel/graph', '@steel/tokenizer', '@steel/dataset', '@steel/kernels-native'],
  '@steel/trainer': [
    '@steel/steel-model',
    '@steel/graph',
    '@steel/tokenizer',
    '@steel/dataset',
    '@steel/kernels-native',
  ],
  '@steel/eval': ['@steel/steel-model', '@steel/graph', '@steel/tokenizer', '@steel/dataset', '@steel/kernels-native'],
};

function workspacePackages(): { dir: string; json: Record<string, any> }[] {
  return ['packages', 'tools'].flatMap((top) =>
    fs
      .readdirSync(path.join(root, top))
      .map((d) => path.join(root, top, d))
      .filter((d) => fs.existsSync(path.join(d, 'package.json')))
      .map((dir) => ({ dir, json: JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) })),
  );
}

describe('workspace layout', () => {
  const pkgs = workspacePackages();

  it('has every package of the architecture', () => {
    const names = pkgs.map((p) => p.json.name);
    for (const name of Object.keys(ALLOWED)) expect(names).toContain(name);
  });

  it('points dependencies only downwards', () => {
    for (const { json } of pkgs) {
      const allowed = ALLOWED[json.name];
      if (!allowed) continue; // tools may import anything
      const internal = Object.keys({ ...json.dependencies, ...json.devDependencies }).filter((d) =>
        d.startsWith('@steel/'),
      );
      for (const dep of internal) {
        expect(allowed, `${json.name} must not depend on ${dep}`).toContain(dep);
      }
    }
  });

  it('gives every library package the same script and export shape', () => {
    for (const { dir, json } of pkgs.filter((p) => p.dir.includes(`${path.sep}packages${path.sep}`))) {
      expect(Object.keys(json.scripts ?? {}), json.name).toEqual(
        expect.arrayContaining(['build', 'test', 'typecheck']),
      );
      expect(json.type, json.name).toBe('module');
      expect(json.exports?.['.']?.types, json.name).toBe('./dist/index.d.ts');
      expect(fs.existsSync(path.join(dir, 'src', 'index.ts')), `${json.name} src/index.ts`).toBe(true);
      expect(fs.existsSync(path.join(dir, 'README.md')), `${json.name} README.md`).toBe(true);
    }
  });

  it('skips the onnxruntime-node CUDA download in the project .npmrc', () => {
    const npmrc = fs.readFileSync(path.join(root, '.npmrc'), 'utf8');
    expect(npmrc).toMatch(/^onnxruntime-node-install=skip$/m);
  });
});
