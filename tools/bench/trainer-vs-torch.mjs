// Side by side in one run: @steel/trainer training steps vs PyTorch CPU (tools/fixtures/trainer/torch_train_bench.py)
// on the same Steel config, batch and sequence, same threads. Default: the issue-7 config (vocab 151,936, hidden 256,
// 4 layers, 8 heads, intermediate 1024, 6 experts), batch 4 x seq 256, 2 threads.
// PyTorch runs twice per round: as installed, and with glibc told to keep freed memory (MALLOC_MMAP_MAX_=0,
// MALLOC_TRIM_THRESHOLD_), the setting our trainer applies to itself (keepFreedMemory), so the comparison is also
// reported on equal allocator terms.
//   node tools/bench/trainer-vs-torch.mjs [--steps 3] [--threads 2] [--rounds 1] [--optimizer-threads 2]
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { presetConfig } from '@steel/steel-model';
import { benchTrain, steelModel } from '@steel/trainer';

const args = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) if (argv[i].startsWith('--')) args[argv[i].slice(2)] = argv[i + 1];
const steps = Number(args.steps ?? 3);
const threads = Number(args.threads ?? 2);
const rounds = Number(args.rounds ?? 1);
const batch = Number(args.batch ?? 4);
const optimizerThreads = Number(args['optimizer-threads'] ?? threads);
const seq = Number(args.seq ?? 256);
const keys = {
  vocab_size: 151936,
  hidden_size: 256,
  num_hidden_layers: 4,
  num_attention_heads: 8,
  num_key_value_heads: 8,
  intermediate_size: 1024,
  mlp_div_ratio: 4,
  n_experts: 6,
  slots_per_expert: 1,
  FFN_type: 'softmoe_v3',
  mlp_type: 'senet',
  max_position_embeddings: 4096,
};
const config = { ...presetConfig('steel-small'), ...keys };
const script = fileURLToPath(new URL('../fixtures/trainer/torch_train_bench.py', import.meta.url));
const out = { config: keys, batch, seq, steps, threads, rounds: [] };
for (let r = 0; r < rounds; r++) {
  const ours = await benchTrain(steelModel(config), {
    batch,
    seq,
    steps,
    optimizerThreads,
    threads,
    vocab: { hidden: 256, vocab: 151936 },
  });
  const runTorch = (extraEnv) =>
    JSON.parse(
      execFileSync(
        '/usr/bin/python3',
        [
          script,
          '--config',
          JSON.stringify(keys),
          '--batch',
          String(batch),
          '--seq',
          String(seq),
          '--steps',
          String(steps),
          '--threads',
          String(threads),
        ],
        {
          encoding: 'utf8',
          env: { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), ...extraEnv },
        },
      ),
    );
  const torch = runTorch({});
  const torchKeep = runTorch({ MALLOC_MMAP_MAX_: '0', MALLOC_TRIM_THRESHOLD_: '2147483647' });
  out.rounds.push({
    ours,
    torch,
    torch_keep_freed_memory: torchKeep,
    speedup: ours.tokens_per_s / torch.tokens_per_s,
    speedup_same_allocator: ours.tokens_per_s / torchKeep.tokens_per_s,
  });
}
console.log(JSON.stringify(out));
