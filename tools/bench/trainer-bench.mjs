// Training-step throughput of @steel/trainer (what `steel bench train` prints), without the CLI:
//   node tools/bench/trainer-bench.mjs --config steel-small --batch 4 --seq 256 --steps 3 --threads 2 [--vocab-share] [--optimizer-threads 2]
// --config: a Steel preset / config.json / model folder, or tiny-lm:VOCAB,HIDDEN[,INNER]. Prints one JSON object.
import { loadConfig } from '@steel/steel-model';
import { benchTrain, steelModel, tinyLm } from '@steel/trainer';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : 'true']);
    return acc;
  }, []),
);
const spec = args.config ?? 'steel-tiny';
let model;
let hidden;
let vocab;
const m = /^tiny-lm:(\d+),(\d+)(?:,(\d+))?$/.exec(spec);
if (m) {
  vocab = Number(m[1]);
  hidden = Number(m[2]);
  model = tinyLm({ vocab, hidden, ...(m[3] ? { inner: Number(m[3]) } : {}) });
} else {
  const config = await loadConfig(spec);
  for (const k of ['num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'intermediate_size', 'n_experts'])
    if (args[k]) config[k] = Number(args[k]);
  model = steelModel(config);
  hidden = config.hidden_size;
  vocab = config.vocab_size;
}
const r = await benchTrain(model, {
  batch: Number(args.batch ?? 4),
  seq: Number(args.seq ?? 256),
  steps: Number(args.steps ?? 3),
  warmup: Number(args.warmup ?? 1),
  accumulation: Number(args.accumulation ?? 1),
  ...(args.threads ? { threads: Number(args.threads) } : {}),
  ...(args['loss-chunks'] ? { lossChunks: Number(args['loss-chunks']) } : {}),
  ...(args['vocab-share'] ? { vocab: { hidden, vocab } } : {}),
  ...(args['optimizer-threads'] ? { optimizerThreads: Number(args['optimizer-threads']) } : {}),
});
console.log(
  JSON.stringify({
    config: spec,
    params: model.params.reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0),
    ...r,
  }),
);
