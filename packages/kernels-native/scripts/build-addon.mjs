#!/usr/bin/env node
// Builds the C++ addon (build/Release/steel_kernels.node) with node-gyp. It is this package's `install` script (an
// explicit one, so npm never runs its default `node-gyp rebuild`, which fails the whole install without a compiler)
// and the first step of its `build` (which the root `npm install` also runs: prepare -> nx run-many -t build).
//
// It never fails: without a compiler, headers or node-gyp, it prints one warning and exits 0, and every kernel runs
// its JavaScript fallback. Nothing is downloaded: node-gyp is pointed at local headers (npm's `nodedir`, else the
// include/node folder next to this Node binary); if none exist the build is skipped rather than fetching headers.
//
// Flags: --force rebuilds even when the .node is newer than every source file.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const output = join(root, 'build', 'Release', 'steel_kernels.node');
const force = process.argv.includes('--force');

function warn(message) {
  process.stderr.write(`@steel/kernels-native: ${message}; the JavaScript fallbacks will be used\n`);
  process.exit(0);
}

if (process.env.STEEL_KERNELS_NATIVE === '0') warn('STEEL_KERNELS_NATIVE=0, not building the addon');

const sources = [
  join(root, 'binding.gyp'),
  ...readdirSync(join(root, 'src', 'cpp')).map((f) => join(root, 'src', 'cpp', f)),
];
if (!force && existsSync(output)) {
  const built = statSync(output).mtimeMs;
  if (sources.every((f) => statSync(f).mtimeMs <= built)) {
    process.stderr.write(`@steel/kernels-native: ${output} is up to date\n`);
    process.exit(0);
  }
}

/** Headers matching this Node: npm's nodedir if it has them, else <prefix>/include/node of this binary. */
function localNodeDir() {
  const candidates = [process.env.npm_config_nodedir, join(dirname(process.execPath), '..')].filter(Boolean);
  for (const dir of candidates) {
    const versionFile = join(dir, 'include', 'node', 'node_version.h');
    if (!existsSync(versionFile) || !existsSync(join(dir, 'include', 'node', 'node_api.h'))) continue;
    const text = readFileSync(versionFile, 'utf8');
    const part = (name) => text.match(new RegExp(`#define ${name} (\\d+)`))?.[1];
    const version = `v${part('NODE_MAJOR_VERSION')}.${part('NODE_MINOR_VERSION')}.${part('NODE_PATCH_VERSION')}`;
    // N-API is ABI-stable, so any headers of the same major line build a working addon.
    if (version.split('.')[0] === process.version.split('.')[0]) return dir;
  }
  return undefined;
}

/** node-gyp: the one npm gives lifecycle scripts, else the one bundled with this Node's npm. */
function nodeGypScript() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(
      dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  ];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed locally: fine, the others may exist
  }
  return candidates.find((c) => c && existsSync(c));
}

const nodedir = localNodeDir();
if (!nodedir) warn(`no local Node ${process.version.split('.')[0]} headers (include/node/node_api.h) found`);
const gyp = nodeGypScript();
if (!gyp) warn('node-gyp was not found (it ships with npm)');

const started = Date.now();
const result = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--jobs=max', '--loglevel=warn'], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
  timeout: 300_000,
  env: { ...process.env, npm_config_nodedir: nodedir },
});
if (result.error) warn(`node-gyp could not run: ${result.error.message}`);
if (result.status !== 0 || !existsSync(output)) warn(`node-gyp rebuild failed (exit ${result.status})`);
process.stderr.write(`@steel/kernels-native: built ${output} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
