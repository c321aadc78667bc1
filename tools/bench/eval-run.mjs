#!/usr/bin/env node
// Benchmark of @steel/eval: one benchmark run (default CMMLU, logits mode, 5-shot) of a model folder -- a Steel
// checkpoint (config.json + model.safetensors [+ tokenizer.json, else the bundled Qwen1.5 tokenizer]) or an ONNX
// causal-LM export (model.onnx + tokenizer.json) -- over a data folder in the official layout. Prints one JSON object:
// questions/s, the time per question split into prompt building (incl. token counting for trimming), forward (model)
// and scoring, the model's forward calls and tokens, the KV-prefix reuses, malformed rows skipped, unparseable answers,
// and the accuracy per category (both averages).
//
// usage: node tools/bench/eval-run.mjs --model <dir> --data <dir> [--benchmark cmmlu] [--mode logits|gen]
//        [--shots 5] [--limit N per subject] [--subjects a,b] [--batch 8] [--threads N] [--max-context N]
//        [--init-steel <preset>]   (first write a random Steel checkpoint of that preset, seed 1, into --model)
//        [--out results.json]      (also write the results file, the Markdown and the HTML report)
import fs from 'node:fs';
import { loadBenchmark, openModelFolder, renderHtml, renderMarkdown, runEvaluation, writeResults } from '@steel/eval';
import { initModelFolder, presetConfig } from '@steel/steel-model';

const args = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) if (argv[i].startsWith('--')) args[argv[i].slice(2)] = argv[i + 1];
if (!args.model || !args.data) {
  process.stderr.write(
    'usage: node tools/bench/eval-run.mjs --model <dir> --data <dir> [--benchmark cmmlu] [--limit N]\n',
  );
  process.exit(2);
}
const num = (k) => (args[k] === undefined ? undefined : Number(args[k]));
const benchmark = args.benchmark ?? 'cmmlu';
const mode = args.mode ?? 'logits';

let t = performance.now();
if (args['init-steel']) {
  await initModelFolder(args.model, presetConfig(args['init-steel']), { seed: 1, overwrite: true });
}
const initSeconds = (performance.now() - t) / 1000;
t = performance.now();
const data = loadBenchmark(benchmark, args.data, {
  ...(args.subjects ? { subjects: args.subjects.split(',') } : {}),
  onMalformed: 'skip',
});
const loadDataSeconds = (performance.now() - t) / 1000;
t = performance.now();
const model = await openModelFolder(args.model, {
  ...(num('threads') ? { threads: num('threads') } : {}),
  ...(num('max-context') ? { maxContext: num('max-context') } : {}),
});
const loadModelSeconds = (performance.now() - t) / 1000;
const r = await runEvaluation(data, {
  mode,
  scorer: model,
  generator: model,
  ...(num('shots') !== undefined ? { shots: num('shots') } : {}),
  ...(num('limit') ? { limit: num('limit') } : {}),
  ...(num('batch') ? { batchSize: num('batch') } : {}),
  ...(model.chatFormatter ? { chatFormatter: model.chatFormatter } : {}),
  model: args.model,
});
await model.release();
if (args.out) {
  writeResults(args.out, r);
  fs.writeFileSync(args.out.replace(/\.json$/, '.md'), renderMarkdown(r));
  fs.writeFileSync(args.out.replace(/\.json$/, '.html'), renderHtml(r));
}
const q = r.timings.answered;
const ms = (s) => (q ? (1000 * s) / q : null);
const round = (x, d = 4) => (Number.isFinite(x) ? Number(x.toFixed(d)) : null);
process.stdout.write(
  `${JSON.stringify({
    benchmark,
    mode,
    shots: r.shots,
    model: args.model,
    modelKind: model.kind,
    ...(args['init-steel'] ? { initSteel: args['init-steel'], initSeconds: round(initSeconds) } : {}),
    maxContext: model.maxContext,
    subjects: data.subjects.length,
    skippedRows: data.skipped.length,
    missingDev: data.missingDev.length,
    questions: q,
    loadDataSeconds: round(loadDataSeconds),
    loadModelSeconds: round(loadModelSeconds),
    totalSeconds: round(r.timings.totalSeconds),
    questionsPerSecond: round(q / r.timings.totalSeconds, 2),
    msPerQuestion: {
      prompt: round(ms(r.timings.promptSeconds), 3),
      forward: round(ms(r.timings.forwardSeconds), 3),
      scoring: round(ms(r.timings.scoringSeconds), 3),
    },
    meanPromptTokens: round(
      r.predictions.reduce((a, p) => a + p.promptTokens, 0) / Math.max(1, r.predictions.length),
      1,
    ),
    promptsNotFitting: r.predictions.filter((p) => !p.fits).length,
    meanShots: round(r.predictions.reduce((a, p) => a + p.shots, 0) / Math.max(1, r.predictions.length), 2),
    ...(model.stats.modelSeconds !== undefined ? { msPerQuestionInModel: round(ms(model.stats.modelSeconds), 3) } : {}),
    forwards: model.stats.forwards,
    modelTokens: model.stats.tokens,
    prefixReuses: model.stats.prefixReuses,
    overall: {
      micro: round(r.summary.overall.micro),
      macro: round(r.summary.overall.macro),
      unparseable: r.summary.overall.unparseable,
    },
    categories: Object.fromEntries(
      r.summary.categories.map((c) => [
        c.name,
        {
          subjects: c.subjects,
          questions: c.questions,
          micro: round(c.micro),
          macro: round(c.macro),
          unparseable: c.unparseable,
        },
      ]),
    ),
  })}\n`,
);
