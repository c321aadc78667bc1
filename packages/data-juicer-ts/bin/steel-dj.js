#!/usr/bin/env node
// Thin launcher: the package is compiled to dist/ by `npm install` (the root `prepare` script builds every package).
import { runDjCli } from '../dist/index.js';

process.exitCode = await runDjCli(process.argv.slice(2));
