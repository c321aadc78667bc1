#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm install` (root `prepare` builds every package).
import { main } from '../dist/cli.js';

main(process.argv).catch((err) => {
  process.stderr.write(`steel: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
