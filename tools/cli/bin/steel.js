#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm install` (the root `prepare` script builds every package).
import { main } from '../dist/cli.js';

await main(process.argv);
