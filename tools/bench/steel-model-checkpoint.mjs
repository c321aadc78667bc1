// Benchmark: write a randomly initialised Steel checkpoint (default: steel-1b = 1.12 B params, bf16 safetensors) and
// load it back, each phase in its own child process so its peak RSS is its own. Prints one JSON object.
//
//   node tools/bench/steel-model-checkpoint.mjs [--config steel-1b|<config.json>] [--dtype bf16|f16|f32]
//        [--dir <scratch dir>] [--model <existing model folder: skip init, only load>] [--keep] [--repeat 1]
//
// --repeat N runs the two load phases N times, alternating (the machine may be shared): each phase then reports the
// best and the median seconds and the largest peak RSS over its runs. The page cache is not dropped between runs,
// so loads after the first read the file from memory (as a second load of the same checkpoint does).
//
// Phases: init (initModelFolder, streaming: one tensor in memory at a time), load-stream (ModelWeights.read tensor
// by tensor, each dropped after a checksum: the lazy reader's peak), load-all (loadModelFolder: every tensor kept as
// float32, what a forward needs).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { countParameters, initModelFolder, loadConfig, loadModelFolder, ModelWeights } from '@steel/steel-model';

const DTYPES = { f32: 'F32', f16: 'F16', bf16: 'BF16' };

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

function rssMiB() {
  return Math.round(process.resourceUsage().maxRSS / 1024); // maxRSS is in KiB
}

async function phase(name, dir, config, dtype) {
  const t0 = performance.now();
  const out = { phase: name };
  if (name === 'init') {
    const saved = await initModelFolder(dir, await loadConfig(config), { dtype, seed: 3407 });
    out.bytes = saved.bytes;
    out.parameters = saved.parameters;
  } else if (name === 'load-stream') {
    const cfg = await loadConfig(dir);
    const w = await ModelWeights.open(dir);
    let sum = 0;
    let n = 0;
    for (const name of w.names()) {
      const v = await w.read(name);
      n += v.length;
      sum += v[0] ?? 0;
    }
    await w.close();
    out.parameters = n;
    out.checksum = sum;
    out.configParameters = countParameters(cfg).total;
  } else {
    const m = await loadModelFolder(dir);
    let n = 0;
    for (const v of m.weights.values()) n += v.length;
    out.parameters = n;
  }
  out.seconds = Number(((performance.now() - t0) / 1000).toFixed(2));
  out.peakRssMiB = rssMiB();
  return out;
}

const self = fileURLToPath(import.meta.url);
if (process.argv[2] === '--child') {
  const [, , , name, dir, config, dtype] = process.argv;
  process.stdout.write(`${JSON.stringify(await phase(name, dir, config, dtype))}\n`);
} else {
  const config = arg('config', 'steel-1b');
  const dtype = DTYPES[arg('dtype', 'bf16')];
  if (!dtype) throw new Error('--dtype must be f32, f16 or bf16');
  const existing = arg('model');
  const scratch = arg('dir', os.tmpdir());
  const dir = existing ?? path.join(scratch, `steel-model-bench-${process.pid}`);
  const run = (name) =>
    JSON.parse(
      execFileSync(process.execPath, ['--max-old-space-size=8192', self, '--child', name, dir, config, dtype], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 1 << 20,
      }),
    );
  const repeat = Math.max(1, Number(arg('repeat', '1')));
  const load = () => os.loadavg().map((x) => Number(x.toFixed(2)));
  const result = {
    bench: 'steel-model-checkpoint',
    config: existing ? dir : config,
    dtype,
    node: process.version,
    cpus: os.cpus().length,
    loadAverageStart: load(),
  };
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  const summarize = (runs) => ({
    ...runs[0],
    seconds: Math.min(...runs.map((r) => r.seconds)),
    secondsMedian: median(runs.map((r) => r.seconds)),
    secondsAll: runs.map((r) => r.seconds),
    peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB)),
  });
  try {
    if (!existing) result.init = run('init');
    result.files = fs.readdirSync(dir).map((f) => ({ file: f, bytes: fs.statSync(path.join(dir, f)).size }));
    const stream = [];
    const all = [];
    for (let i = 0; i < repeat; i++) {
      stream.push(run('load-stream'));
      all.push(run('load-all'));
    }
    result.loadStream = summarize(stream);
    result.loadAll = summarize(all);
    result.loadAverageEnd = load();
  } finally {
    if (!existing && !process.argv.includes('--keep')) fs.rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
