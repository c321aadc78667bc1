// Runs runTraining from the built package with a JSON config (argv[2]); prints one line per step on stdout.
import { parseTrainConfig, runTraining } from '../../dist/index.js';

const cfg = parseTrainConfig(JSON.parse(process.argv[2]));
await runTraining(cfg, {
  onStep: (m) => process.stdout.write(`step ${m.step} ${m.loss}\n`),
});
process.stdout.write('done\n');
